import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { checkCompose, ComposeFile, ComposeService, dependsOn, durationMs, holderScript, loadCompose } from './compose-checks';
import { applyOverride, hostNetworkOverride } from './compose-host-network';
import { AppName, dockerfileOf, dockerfileProblems, PACKAGE_MANAGER_PATHS } from './kubernetes-app-settings';

/**
 * docker/compose.yaml offline: as compose reads it (merge keys, ${VAR:-default}), every service
 * passes the checks of compose-checks.ts; then one change at a time shows the checks notice.
 */

describe('docker/compose.yaml', () => {
  test('broker + the pair (its namespace holder, logdriver, proxy), images from the Dockerfiles, and no problem found', () => {
    const compose = loadCompose();
    expect(Object.keys(compose.services).sort()).toEqual(['broker', 'logdriver', 'pair', 'proxy']);
    // Both apps of the pair join the holder's namespace; the proxy stops before its logdriver.
    expect(compose.services['logdriver']?.['network_mode']).toBe('service:pair');
    expect(compose.services['proxy']?.['network_mode']).toBe('service:pair');
    expect(Object.keys(dependsOn(compose.services['proxy']))).toEqual(expect.arrayContaining(['pair', 'logdriver', 'broker']));
    expect(dependsOn(compose.services['pair'])).toEqual({});
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

  test('the namespace holder waits until SIGTERM (or SIGINT), then exits 0 at once', async () => {
    const script = holderScript(loadCompose().services['pair'] as ComposeService);
    expect(script).toBeDefined();
    // Compose would interpolate a $ in it: there is none.
    expect(script).not.toContain('$');
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const child = spawn(process.execPath, ['-e', script as string], { stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig, at: Date.now() })));
      try {
        await new Promise((r) => setTimeout(r, 500));
        // Still holding: it does not exit by itself.
        expect(child.exitCode).toBeNull();
        const sent = Date.now();
        child.kill(signal);
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 5_000)))]);
        clearTimeout(timer);
        expect(result).not.toBe('timeout');
        // Exits 0 by its own handler (not killed by the signal), well within any stop grace period.
        expect(result).toMatchObject({ code: 0, signal: null });
        expect((result as { at: number }).at - sent).toBeLessThan(2_000);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  }, 20_000);

  test('the Dockerfiles delete the base image\'s package managers in their runtime stage', () => {
    for (const app of ['proxy', 'logdriver', 'config-broker'] as AppName[]) {
      const text = readFileSync(dockerfileOf(app), 'utf8');
      expect(dockerfileProblems(app, text)).toEqual([]);
      // Without the line, every path is reported; with yarn forgotten, the yarn paths.
      const without = text.replace(/^RUN rm -rf [^\n]*\\\n[^\n]*\n/m, '');
      expect(without).not.toEqual(text);
      expect(dockerfileProblems(app, without).join('\n')).toContain(`the runtime stage keeps ${PACKAGE_MANAGER_PATHS.join(' ')}`);
      const yarnKept = text.replace(/ \/usr\/local\/bin\/yarn \/usr\/local\/bin\/yarnpkg \/opt\/yarn-v\*/, '');
      expect(dockerfileProblems(app, yarnKept).join('\n')).toContain('the runtime stage keeps /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v*');
      // Only the runtime stage counts: the same line in a build stage does not.
      const inBuilder = without.replace(/^FROM \$\{BUILD_IMAGE\} AS deps$/m, (m) => `${m}\nRUN rm -rf ${PACKAGE_MANAGER_PATHS.join(' ')}`);
      expect(dockerfileProblems(app, inBuilder).join('\n')).toContain('the runtime stage keeps');
    }
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
    ['a port published on every interface', () => ((svc('pair')['ports'] as string[])[0] = '7777:7777'), /port 7777:7777 is not published on 127.0.0.1/],
    ['the logdriver intake published', () => (svc('pair')['ports'] as string[]).push('127.0.0.1:9001:9001'), /publishes the logdriver's unauthenticated intake/],
    ['the proxy API moved but still published on the old port', () => (env('proxy')['TSP_PORT'] = '8080'), /port 7777 is no port of logdriver, proxy[\s\S]*proxy: port 8080 is not published/],
    ['a health check on the wrong port', () => (env('logdriver')['TSP_LOGDRIVER_PORT'] = '9002'), /health check http:\/\/127.0.0.1:9001\/ready, the logdriver serves \/ready on 9002/],
    ['the pair in separate namespaces', () => delete svc('proxy')['network_mode'], /proxy: must share a network namespace with its logdriver, held by a service that runs no app/],
    // The layout before: a logdriver restart left the proxy in a dead namespace (docker/compose#7765).
    ['the namespace owned by the logdriver', () => {
      const pair = svc('pair');
      delete compose.services['pair'];
      delete svc('logdriver')['network_mode'];
      svc('logdriver')['ports'] = pair['ports'];
      delete (svc('logdriver')['depends_on'] as Record<string, unknown>)['pair'];
      svc('proxy')['network_mode'] = 'service:logdriver';
      delete (svc('proxy')['depends_on'] as Record<string, unknown>)['pair'];
      env('broker')['TSP_BROKER_LOGDRIVER_URL'] = 'http://logdriver:9001';
    }, /^proxy: joins the network namespace of logdriver, a logdriver: when it restarts, the proxy is left in a dead namespace; the pair must join a service that only holds the namespace$/],
    ['the namespace owned by the proxy', () => {
      svc('logdriver')['network_mode'] = 'service:proxy';
      delete svc('proxy')['network_mode'];
    }, /proxy: must share a network namespace with its logdriver/],
    ['the holder running the app instead of waiting', () => delete svc('pair')['entrypoint'], /proxy: joins the network namespace of pair, a proxy: when it restarts, the proxy is left in a dead namespace/],
    ['the holder running something else', () => (svc('pair')['entrypoint'] = ['sleep', 'infinity']), /pair: replaces the entrypoint with \["sleep","infinity"\]; only a namespace holder may/],
    ['the holder restarted along with the broker', () => (svc('pair')['depends_on'] = { broker: { condition: 'service_healthy', restart: true } }), /pair: a namespace holder depends on nothing \(compose would restart or stop it with broker, and the namespace with it\)/],
    ['the holder keeping the image health check', () => delete svc('pair')['healthcheck'], /pair: a namespace holder needs healthcheck disable: true/],
    ['the holder with data', () => (svc('pair')['volumes'] = ['spool:/var/lib/tsp/spool']), /pair: a namespace holder has no volumes/],
    ['the holder building an image', () => (svc('pair')['build'] = svc('proxy')['build']), /pair: a namespace holder builds nothing/],
    ['the logdriver not restarted with the holder', () => ((svc('logdriver')['depends_on'] as Record<string, unknown>)['pair'] = { condition: 'service_started' }), /logdriver: depends_on pair without restart: true/],
    ['the proxy listing its dependencies without conditions', () => (svc('proxy')['depends_on'] = ['pair', 'broker', 'logdriver']), /proxy: depends_on pair without restart: true/],
    ['the proxy not depending on its logdriver (stopped after it)', () => delete (svc('proxy')['depends_on'] as Record<string, unknown>)['logdriver'], /proxy: does not depend on logdriver, so compose would not stop the proxy first/],
    ['the proxy in the broker\'s namespace', () => (svc('proxy')['network_mode'] = 'service:broker'), /proxy: joins the network namespace of broker, a config-broker/],
    ['ports on a service that joins the namespace', () => (svc('proxy')['ports'] = ['127.0.0.1:7777:7777']), /proxy: joins the namespace of pair, so its ports must be published there/],
    ['admin events sent to the logdriver by its service name (it has none on the network)', () => (env('broker')['TSP_BROKER_LOGDRIVER_URL'] = 'http://logdriver:9001'), /TSP_BROKER_LOGDRIVER_URL http:\/\/logdriver:9001 is not a logdriver service/],
    ['admin events to a logdriver on loopback only', () => (env('logdriver')['TSP_LOGDRIVER_HOST'] = '127.0.0.1'), /TSP_BROKER_LOGDRIVER_URL http:\/\/pair:9001: the logdriver logdriver listens on 127.0.0.1 only/],
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
