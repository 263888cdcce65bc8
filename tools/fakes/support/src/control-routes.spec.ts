import { sendJson } from './json-answer';
import { requestLoopback } from './loopback-request';
import { LoopbackServer, startLoopbackServer } from './loopback-server';
import { addValidRule, ControlRoutes, faultRoutes, receivedRoutes, runControlRoute } from './control-routes';

interface Rule {
  fault: string;
}

describe('control routes', () => {
  const rules: Rule[] = [];
  let items: string[] = ['a', 'b'];
  let latencyMs = 0;
  let server: LoopbackServer;
  const problems = (v: unknown): string[] => (typeof v === 'object' && v !== null && typeof (v as Rule).fault === 'string' ? [] : ['fault must be a string']);
  const routes: ControlRoutes = {
    ...receivedRoutes(
      'items',
      () => items,
      () => {
        items = [];
      },
    ),
    ...faultRoutes({ add: (r: Rule) => rules.push(r), clear: () => rules.splice(0) }, problems, (ms) => {
      latencyMs = ms;
    }),
  };

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      runControlRoute(req, new URL(req.url ?? '/', 'http://127.0.0.1').pathname, routes, 1024).then(
        (answer) => sendJson(res, answer?.status ?? 404, answer?.body ?? { problems: ['unknown control path'] }),
        () => sendJson(res, 500, {}),
      );
    });
  });
  afterAll(() => server.stop());

  const call = (method: string, path: string, body?: string): Promise<[number, unknown]> =>
    requestLoopback(`${server.url}${path}`, { method, ...(body !== undefined ? { body } : {}) }).then((a) => [a.status, JSON.parse(a.body)]);

  it('adds a valid rule, refuses an invalid, malformed, empty or oversized one with its problems, clears them', async () => {
    expect(await call('POST', '/_fake/faults', '{"fault":"busy"}')).toEqual([200, {}]);
    expect(rules).toEqual([{ fault: 'busy' }]);
    for (const bad of ['{"fault":1}', '{nope', '', JSON.stringify({ fault: 'x'.repeat(2000) })]) {
      expect(await call('POST', '/_fake/faults', bad)).toEqual([400, { problems: ['fault must be a string'] }]);
    }
    expect(rules).toHaveLength(1);
    expect(await call('DELETE', '/_fake/faults')).toEqual([200, {}]);
    expect(rules).toEqual([]);
  });

  it("addValidRule answers with the status the fake's control API uses for an added rule", () => {
    const added: unknown[] = [];
    expect(addValidRule({ fault: 'x' }, problems, (r) => added.push(r), 201)).toEqual({ status: 201, body: {} });
    expect(addValidRule(7, problems, (r) => added.push(r), 201)).toEqual({ status: 400, body: { problems: ['fault must be a string'] } });
    expect(added).toEqual([{ fault: 'x' }]);
  });

  it('sets a valid latency only', async () => {
    expect(await call('PUT', '/_fake/latency', '{"ms":250}')).toEqual([200, {}]);
    expect(latencyMs).toBe(250);
    expect(await call('PUT', '/_fake/latency', '{"ms":-1}')).toEqual([400, { problems: ['ms must be a non-negative integer'] }]);
    expect(await call('PUT', '/_fake/latency', 'null')).toEqual([400, { problems: ['ms must be a non-negative integer'] }]);
    expect(latencyMs).toBe(250);
  });

  it('lists and clears what was received; an unknown route or method is left to the fake', async () => {
    expect(await call('GET', '/_fake/received')).toEqual([200, { items: ['a', 'b'] }]);
    expect(await call('DELETE', '/_fake/received')).toEqual([200, {}]);
    expect(await call('GET', '/_fake/received')).toEqual([200, { items: [] }]);
    expect(await call('PATCH', '/_fake/received')).toEqual([404, { problems: ['unknown control path'] }]);
    expect(await call('GET', '/_fake/constructor')).toEqual([404, { problems: ['unknown control path'] }]);
  });
});
