import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import path from 'node:path';
import { BIND_HOST_ENV, IMAGE_APPS, imageRef, listenAddresses, LOCK_DIR, OWNER_LABEL, ownerAlive, ownerId, runArgs, runTag, withLock } from './index';

/**
 * The container helpers without podman: the bind address runArgs pins, owner ids (what removes a
 * dead run's leftovers and never a live one's), the lock takeover, and the socket check the
 * container suites use.
 */

function envOf(args: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  args.forEach((a, i) => {
    if (a === '-e') {
      const [k, ...v] = (args[i + 1] ?? '').split('=');
      env[k ?? ''] = v.join('=');
    }
  });
  return env;
}

describe('runArgs', () => {
  test.each(IMAGE_APPS)('pins the %s image\'s bind address to 127.0.0.1 on the host network', (app) => {
    const args = runArgs({ name: 'x', image: imageRef(app, runTag(ownerId())), env: { OTHER: 'a=b' } });
    expect(args).toContain('--network=host');
    expect(envOf(args)).toEqual({ OTHER: 'a=b', [BIND_HOST_ENV[app]]: '127.0.0.1' });
    // Only the app's own variable: another app's would be an unknown TSP_* setting (it refuses to start).
    for (const other of IMAGE_APPS.filter((a) => a !== app)) expect(envOf(args)[BIND_HOST_ENV[other]]).toBeUndefined();
    expect(args).toContain(`${OWNER_LABEL}=${ownerId()}`);
  });

  test('refuses another bind address, and images that are not ours', () => {
    expect(() => runArgs({ name: 'x', image: imageRef('proxy'), env: { TSP_HOST: '0.0.0.0' } })).toThrow(/TSP_HOST=0.0.0.0.*only 127.0.0.1/);
    expect(runArgs({ name: 'x', image: imageRef('proxy'), env: { TSP_HOST: '127.0.0.1' } })).toContain('TSP_HOST=127.0.0.1');
    expect(() => runArgs({ name: 'x', image: 'docker.io/library/nginx:1' })).toThrow(/not one of the tsp-/);
  });
});

describe('owner ids', () => {
  test('this process is alive, also as a valid image tag', () => {
    const me = ownerId();
    expect(ownerAlive(me)).toBe(true);
    expect(runTag(me)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  });

  test('a process that exited, a reused pid, another boot: dead; another pid namespace: alive (unknown)', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    await new Promise((r) => child.once('spawn', r));
    const owner = ownerId(child.pid);
    expect(ownerAlive(owner)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(ownerAlive(owner)).toBe(false);

    const me = ownerId();
    expect(ownerAlive(me.replace(/-s\d+$/, '-s1'))).toBe(false); // same pid, another process
    expect(ownerAlive(me.replace(/^b[0-9a-f]+/, 'b000000000000'))).toBe(false); // before a reboot
    expect(ownerAlive(me.replace(/-n\d+-p\d+/, '-n1-p999999'))).toBe(true); // invisible to us
    expect(ownerAlive('12345')).toBe(false); // not ours
  });
});

describe('withLock', () => {
  const name = `spec-${process.pid}`;
  const dir = path.join(LOCK_DIR, `${name}.lock`);
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('takes over a lock whose holder is dead, and waits for a live one (with its owner in the timeout message)', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'owner'), ownerId().replace(/-s\d+$/, '-s1'));
    await expect(withLock(name, 2000, () => Promise.resolve('got it'))).resolves.toBe('got it');

    mkdirSync(dir, { recursive: true });
    const foreign = ownerId().replace(/-n\d+-p\d+/, '-n1-p999999');
    writeFileSync(path.join(dir, 'owner'), foreign);
    await expect(withLock(name, 800, () => Promise.resolve('no'))).rejects.toThrow(foreign);
  });
});

describe('listenAddresses', () => {
  let servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    servers = [];
  });
  const listen = async (host: string): Promise<number> => {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, host, r));
    return (s.address() as { port: number }).port;
  };

  test('tells a loopback listener from one open to the network', async () => {
    const loop = await listen('127.0.0.1');
    expect(listenAddresses(loop)).toEqual(['127.0.0.1']);
    const any = await listen('0.0.0.0');
    expect(listenAddresses(any)).toEqual(['0.0.0.0']);
  });
});
