import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { BIND_HOST_ENV, IMAGE_APPS, imageRef, listenAddresses, LOCK_DIR, LOCK_STALE_MS, OWNER_LABEL, ownerAlive, ownerId, parseListenAddresses, releaseHeldLocks, runArgs, runTag, withLock } from './index';

/**
 * The container helpers without podman: the bind address runArgs pins (and the entrypoint's array
 * form), owner ids (what removes a dead run's leftovers and never a live one's), the lock (takeover
 * of a dead or untouched one, one holder at a time), and the socket check the container suites use.
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

  test('an entrypoint in compose\'s array form becomes podman\'s JSON form, before the image', () => {
    const script = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);";
    const args = runArgs({ name: 'x', image: imageRef('proxy'), entrypoint: ['node', '-e', script], args: ['a'] });
    const at = args.indexOf('--entrypoint');
    expect(JSON.parse(args[at + 1] ?? '')).toEqual(['node', '-e', script]);
    expect(args.slice(-2)).toEqual([imageRef('proxy'), 'a']);
    expect(runArgs({ name: 'x', image: imageRef('proxy'), entrypoint: 'node' })).toContain('node');
  });
});

describe('owner ids', () => {
  test('this process is alive, also as a valid image tag', () => {
    const me = ownerId();
    expect(ownerAlive(me)).toBe(true);
    expect(runTag(me)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  });

  test('a process that exited, a reused pid, another boot: dead; another pid namespace: alive (unknown) until it is old', async () => {
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
    const foreign = me.replace(/-n\d+-p\d+/, '-n1-p999999'); // invisible to us; started when this process did
    expect(ownerAlive(foreign)).toBe(true);
    expect(ownerAlive(foreign, 60 * 60_000)).toBe(true);
    expect(ownerAlive(foreign, 1)).toBe(false); // older than the limit: over
    expect(ownerAlive(foreign.replace(/-s\d+$/, '-sx'), 1)).toBe(true); // age unknown
    expect(ownerAlive('12345')).toBe(false); // not ours
  });
});

describe('withLock', () => {
  const name = `spec-${process.pid}`;
  const dir = path.join(LOCK_DIR, `${name}.lock`);
  const leftovers = (): string[] => readdirSync(LOCK_DIR).filter((f) => f.startsWith(`${name}.lock`));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('takes over a lock whose holder is dead, and waits for a live one (with its owner in the timeout message)', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'owner'), ownerId().replace(/-s\d+$/, '-s1'));
    await expect(withLock(name, 2000, () => Promise.resolve('got it'))).resolves.toBe('got it');
    expect(leftovers()).toEqual([]);

    mkdirSync(dir, { recursive: true });
    const foreign = ownerId().replace(/-n\d+-p\d+/, '-n1-p999999');
    writeFileSync(path.join(dir, 'owner'), foreign);
    await expect(withLock(name, 800, () => Promise.resolve('no'))).rejects.toThrow(foreign);
  });

  test('a lock untouched for longer than LOCK_STALE_MS is stale whatever its owner says', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'owner'), ownerId()); // alive: this very process
    const old = new Date(Date.now() - LOCK_STALE_MS - 5_000);
    utimesSync(dir, old, old);
    await expect(withLock(name, 2000, () => Promise.resolve('taken over'))).resolves.toBe('taken over');
  });

  test('waiters for a stale lock: one at a time, each after the previous released it; nothing left behind', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'owner'), ownerId().replace(/-s\d+$/, '-s1'));
    let inside = 0;
    let most = 0;
    const holder = async (i: number): Promise<number> => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 50));
      inside--;
      return i;
    };
    await expect(Promise.all([0, 1, 2, 3].map((i) => withLock(name, 10_000, () => holder(i))))).resolves.toEqual([0, 1, 2, 3]);
    expect(most).toBe(1);
    expect(leftovers()).toEqual([]);
  });

  test('the holder\'s lock holds its owner id; releaseHeldLocks removes it at once (a process stopped on a signal)', async () => {
    let seen = '';
    await withLock(name, 2000, async () => {
      seen = readdirSync(dir).join(',');
      releaseHeldLocks();
      expect(leftovers()).toEqual([]);
    });
    expect(seen).toBe('owner');
  });
});

describe('listenAddresses', () => {
  // /proc/net/tcp and tcp6 lines (the kernel's format): port 0x1F90 = 8080.
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  const tcp = [
    header,
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0',
    '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1',
    '   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0',
    '',
  ].join('\n');
  const tcp6 = [
    header,
    '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0000000000000000 100 0 0 10 0',
    '   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0000000000000000 100 0 0 10 0',
  ].join('\n');

  test('parses listeners on one port from /proc/net/tcp{,6} text: loopback, any, IPv6; not connections, not other ports', () => {
    expect(parseListenAddresses(tcp, 8080)).toEqual(['127.0.0.1', '0.0.0.0']); // line 2 is an established connection
    expect(parseListenAddresses(tcp, 8081)).toEqual(['127.0.0.1']);
    expect(parseListenAddresses(tcp, 9000)).toEqual([]);
    expect(parseListenAddresses(tcp6, 8080)).toEqual(['::', '::1', '::ffff:127.0.0.1']);
    expect(parseListenAddresses(header, 8080)).toEqual([]);
  });

  test('finds a real loopback listener in this network namespace', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      expect(listenAddresses((s.address() as { port: number }).port)).toEqual(['127.0.0.1']);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});
