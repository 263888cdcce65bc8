import { checkCompose, ComposeFile, ComposeService, durationMs, loadCompose } from './compose-checks';
import { applyOverride, hostNetworkOverride } from './compose-host-network';

/**
 * docker/compose.yaml offline: as compose reads it (merge keys, ${VAR:-default}), every service
 * passes the checks of compose-checks.ts; then one change at a time shows the checks notice.
 */

describe('docker/compose.yaml', () => {
  test('broker + logdriver + proxy, images from the Dockerfiles, and no problem found', () => {
    const compose = loadCompose();
    expect(Object.keys(compose.services).sort()).toEqual(['broker', 'logdriver', 'proxy']);
    expect(compose.services['proxy']?.['image']).toBe('tsp-proxy:latest');
    expect(loadCompose(undefined, { IMAGE_TAG: '1.2.3' }).services['logdriver']?.['image']).toBe('tsp-logdriver:1.2.3');
    // The merge key gave every service the hardening block.
    for (const s of Object.values(compose.services)) expect(s['read_only']).toBe(true);
    expect(checkCompose(compose)).toEqual([]);
  });

  test('the host-network override of the stack test: loopback only, a free port for every port, URLs follow', () => {
    const compose = loadCompose();
    const free = [41001, 41002, 41003, 41004, 41005, 41006];
    const plan = hostNetworkOverride(compose, free);
    expect([...plan.ports.keys()].sort()).toEqual([7777, 9000, 9001, 9500]);
    const run = applyOverride(compose, plan);
    const env = (s: string): Record<string, string> => run.services[s]?.['environment'] as Record<string, string>;
    for (const s of Object.values(run.services)) {
      expect(s['network_mode']).toBe('host');
      expect(s['ports']).toEqual([]);
      const values = Object.values(s['environment'] as Record<string, string>).join(' ');
      expect(values).not.toMatch(/0\.0\.0\.0|\/\/(broker|logdriver|proxy)[:/]|:(7777|9000|9001|9500)\b/);
    }
    const p = (k: number): string => String(plan.ports.get(k));
    expect(env('proxy')).toMatchObject({ TSP_HOST: '127.0.0.1', TSP_PORT: p(7777), TSP_HEALTH_PORT: p(9000), LOGDRIVER_URL: `http://127.0.0.1:${p(9001)}` });
    expect(env('logdriver')).toMatchObject({ TSP_LOGDRIVER_HOST: '127.0.0.1', TSP_LOGDRIVER_PORT: p(9001), TSP_LOGDRIVER_SPOOL_DIR: '/var/lib/tsp/spool' });
    expect(env('broker')).toMatchObject({ TSP_BROKER_HOST: '127.0.0.1', TSP_BROKER_PORT: p(9500), TSP_BROKER_PUBLIC_URL: `http://127.0.0.1:${p(9500)}`, TSP_BROKER_LOGDRIVER_URL: `http://127.0.0.1:${p(9001)}` });
    expect(() => hostNetworkOverride(compose, free.slice(0, 3))).toThrow(/need 4 free ports/);
  });

  test('durations as compose writes them', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
    expect(() => durationMs('30')).toThrow(/not a compose duration/);
  });
});

describe('the compose checks notice what would break the stack', () => {
  let compose: ComposeFile;
  beforeEach(() => {
    compose = loadCompose();
  });
  const svc = (name: string): ComposeService => compose.services[name] as ComposeService;
  const env = (name: string): Record<string, unknown> => svc(name)['environment'] as Record<string, unknown>;

  test.each<[string, () => void, RegExp]>([
    ['an unknown TSP_* variable', () => (env('proxy')['TSP_API_PORT'] = '7777'), /proxy: the proxy would not start: proxy: unknown variables TSP_API_PORT/],
    ['a broker variable on the logdriver', () => (env('logdriver')['TSP_BROKER_PORT'] = '9500'), /logdriver: unknown variables TSP_BROKER_PORT/],
    ['a bad value', () => (env('proxy')['TSP_SHUTDOWN_TIMEOUT_MS'] = 'soon'), /TSP_SHUTDOWN_TIMEOUT_MS/],
    ['a stop grace period shorter than the shutdown timeout', () => (svc('broker')['stop_grace_period'] = '10s'), /broker: stop_grace_period 10 s is not longer than the config-broker's shutdown timeout \(15 s\)/],
    ['a longer shutdown timeout', () => (env('logdriver')['TSP_LOGDRIVER_SHUTDOWN_TIMEOUT_MS'] = '40000'), /logdriver: stop_grace_period 30 s is not longer/],
    ['a port published on every interface', () => ((svc('logdriver')['ports'] as string[])[0] = '7777:7777'), /port 7777:7777 is not published on 127.0.0.1/],
    ['the logdriver intake published', () => (svc('logdriver')['ports'] as string[]).push('127.0.0.1:9001:9001'), /publishes the logdriver's unauthenticated intake/],
    ['the proxy API moved but still published on the old port', () => (env('proxy')['TSP_PORT'] = '8080'), /port 7777 is no port of logdriver, proxy[\s\S]*proxy: port 8080 is not published/],
    ['a health check on the wrong port', () => (env('logdriver')['TSP_LOGDRIVER_PORT'] = '9002'), /health check http:\/\/127.0.0.1:9001\/ready, the logdriver serves \/ready on 9002/],
    ['the pair in separate namespaces', () => delete svc('proxy')['network_mode'], /proxy: must join its logdriver's network namespace/],
    ['the namespace owned by the proxy', () => {
      svc('logdriver')['network_mode'] = 'service:proxy';
      delete svc('proxy')['network_mode'];
    }, /must join its logdriver's network namespace/],
    ['LOGDRIVER_URL elsewhere', () => (env('proxy')['LOGDRIVER_URL'] = 'http://logdriver:9001'), /LOGDRIVER_URL http:\/\/logdriver:9001 is not its logdriver \(http:\/\/127.0.0.1:9001\)/],
    ['the spool not on a volume', () => (svc('logdriver')['volumes'] = []), /logdriver: \/var\/lib\/tsp\/spool is not on a named volume/],
    ['the broker database not on a volume', () => (svc('broker')['volumes'] = ['/srv/broker:/var/lib/tsp/broker']), /broker: \/var\/lib\/tsp\/broker is not on a named volume/],
    ['the service-account file not mounted', () => (svc('proxy')['secrets'] = []), /proxy: TSP_SERVICE_ACCOUNT_FILE \/etc\/tsp\/service-account.env is not the mounted secret/],
    ['a writable root filesystem', () => (svc('proxy')['read_only'] = false), /proxy: read_only is not true/],
    ['capabilities kept', () => delete svc('logdriver')['cap_drop'], /logdriver: capabilities are not all dropped/],
    ['root', () => (svc('broker')['user'] = '0'), /broker: must run as the image's user 10001/],
    ['a public URL the pair cannot reach', () => (env('broker')['TSP_BROKER_PUBLIC_URL'] = 'http://127.0.0.1:9500'), /TSP_BROKER_PUBLIC_URL http:\/\/127.0.0.1:9500 is not how the pair reaches it/],
    ['admin events to no logdriver', () => (env('broker')['TSP_BROKER_LOGDRIVER_URL'] = 'http://proxy:9001'), /TSP_BROKER_LOGDRIVER_URL http:\/\/proxy:9001 is not a logdriver service/],
    ['a foreign image', () => (svc('broker')['image'] = 'postgres:16'), /broker: image postgres:16 is none of/],
    ['the wrong Dockerfile', () => ((svc('proxy')['build'] as Record<string, unknown>)['dockerfile'] = 'docker/logdriver.Dockerfile'), /proxy: build must be context \.\. with dockerfile docker\/proxy.Dockerfile/],
  ])('%s', (_what, change, expected) => {
    expect(checkCompose(compose)).toEqual([]);
    change();
    expect(checkCompose(compose).join('\n')).toMatch(expected);
  });
});
