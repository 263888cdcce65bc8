import { ComposeFile, loadCompose } from './compose-checks';
import { startOrder } from './compose-host-network';

/** startOrder: compose's start order from depends_on (compose-stack.container.ts starts and stops the stack by it). */
const file = (deps: Record<string, unknown>): ComposeFile => ({ services: Object.fromEntries(Object.entries(deps).map(([n, d]) => [n, d === undefined ? {} : { depends_on: d }])) });

describe('startOrder', () => {
  test('docker/compose.yaml: the broker and the namespace holder before the apps that need them, the logdriver before its proxy', () => {
    expect(startOrder(loadCompose())).toEqual(['broker', 'pair', 'logdriver', 'proxy']);
  });

  test('each service after its dependencies (both syntaxes), otherwise in the file\'s order', () => {
    expect(startOrder(file({ proxy: { logdriver: { condition: 'service_healthy' }, pair: {} }, logdriver: ['pair'], broker: undefined, pair: undefined }))).toEqual(['broker', 'pair', 'logdriver', 'proxy']);
    expect(startOrder(file({ a: undefined, b: undefined }))).toEqual(['a', 'b']);
  });

  test('refuses a dependency on an unknown service and a cycle', () => {
    expect(() => startOrder(file({ a: ['ghost'] }))).toThrow(/a: depends_on ghost, which is not a service/);
    expect(() => startOrder(file({ a: ['b'], b: ['a'], c: undefined }))).toThrow(/cycle among a, b/);
  });
});
