import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleTestFixture } from '@tsp/test-support';
import { FakeProcess, runFakeProcess, startFakeProcess, stopFakeProcess } from './fake-process';
import { requestLoopback } from './loopback-request';
import { startLoopbackServer } from './loopback-server';

const dir = mkdtempSync(path.join(tmpdir(), 'fake-cli-'));
const main = path.join(dir, 'fixture.js');

beforeAll(async () => {
  await bundleTestFixture(path.join(__dirname, 'fake-cli.fixture.ts'), main);
});

const start = (args: string[]): Promise<FakeProcess<{ url: string; port: number }>> => startFakeProcess(main, args);

describe('FakeCli', () => {
  it('prints one JSON line of what it serves and stops with exit code 0 on SIGTERM or SIGINT', async () => {
    const { child, info } = await start(['--latency-ms', '5']);
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
    const answer = await requestLoopback(info.url);
    expect(JSON.parse(answer.body)).toEqual({ latencyMs: 5 });
    expect(await stopFakeProcess(child, 'SIGTERM')).toBe(0);
    const again = await start([]);
    expect(await stopFakeProcess(again.child, 'SIGINT')).toBe(0);
  });

  it('--help prints the usage and exits 0 without serving', async () => {
    const child = spawn(process.execPath, [main, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    expect(out).toBe('usage: fixture.js [--port N] [--tls --ca-out F] [--latency-ms N]\n');
  });

  it('--tls serves a generated certificate and writes it to --ca-out', async () => {
    const ca = path.join(dir, 'ca.pem');
    const { child, info } = await start(['--tls', '--ca-out', ca]);
    try {
      expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await requestLoopback(info.url, { ca: readFileSync(ca, 'utf8') });
      expect(answer.status).toBe(200);
    } finally {
      await stopFakeProcess(child, 'SIGTERM');
    }
  });

  it.each([
    [['--port', 'x'], 'fake-fixture: --port must be 0..65535'],
    [['--port', '70000'], 'fake-fixture: --port must be 0..65535'],
    [['--latency-ms=-1'], 'fake-fixture: --latency-ms must be a non-negative integer'],
    [['--tls-cert', 'c.pem'], 'fake-fixture: --tls-cert and --tls-key go together'],
    [['--colour', 'red'], "fake-fixture: Unknown option '--colour'"],
  ])('refuses %j with exit code 2 and one message, no stack', async (args, message) => {
    const { code, stderr } = await runFakeProcess(main, args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a failure of the fake itself (port taken) also ends with exit code 2 and its message', async () => {
    const taken = await startLoopbackServer((_req, res) => res.end());
    try {
      const { code, stderr } = await runFakeProcess(main, ['--port', String(taken.port)]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^fake-fixture: .*EADDRINUSE/);
    } finally {
      await taken.stop();
    }
  });
});
