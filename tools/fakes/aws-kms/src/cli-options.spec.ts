import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseCli } from './cli-options';

describe('fake AWS KMS command line', () => {
  it('takes flags for port, region, credentials and keys', () => {
    const { options, generatedSecret } = parseCli([
      '--port', '4599', '--region', 'eu-west-1', '--access-key-id', 'AKIAX', '--secret-access-key', 's', '--key', 'alias/dev', '--key', '1234abcd-12ab-34cd-56ef-1234567890ab=alias/x',
    ]);
    expect(generatedSecret).toBe(false);
    expect(options).toMatchObject({
      port: 4599,
      region: 'eu-west-1',
      credentials: [{ accessKeyId: 'AKIAX', secretAccessKey: 's' }],
      keys: [{ aliases: ['alias/dev'] }, { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: ['alias/x'] }],
    });
  });

  it('reads a JSON file, flags win for the port', () => {
    const file = JSON.stringify({ port: 1, credentials: [{ accessKeyId: 'AKIAY', secretAccessKey: 't' }], faults: [{ action: { type: 'drop' } }] });
    const { options } = parseCli(['--config', 'f.json', '--port=2'], () => file);
    expect(options).toMatchObject({ port: 2, credentials: [{ accessKeyId: 'AKIAY' }], faults: [{ action: { type: 'drop' } }] });
  });

  it('makes up credentials when none are given', () => {
    const r = parseCli([]);
    expect(r.generatedSecret).toBe(true);
    expect(r.options.credentials[0]?.accessKeyId).toMatch(/^AKIAFAKE[0-9A-F]{12}$/);
  });

  it.each([
    [['--port', 'x']],
    [['--nope', '1']],
    [['--access-key-id', 'AKIAX']],
    [['--account-id', '12']],
    [['--port']],
  ])('refuses %j', (argv) => {
    expect(() => parseCli(argv)).toThrow();
  });

  it('refuses a config file with unknown fields', () => {
    expect(() => parseCli(['--config', 'f'], () => '{"prot": 1}')).toThrow(/--config/);
  });

  it('the built command starts and prints what it serves', async () => {
    const main = path.join(__dirname, '..', '..', '..', '..', 'dist', 'tools', 'fakes', 'aws-kms', 'main.js');
    const child = spawn(process.execPath, [main, '--port', '0', '--key', 'alias/dev', '--access-key-id', 'AKIAFAKE000000000001', '--secret-access-key', 'secret-not-printed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      expect(line).not.toContain('secret-not-printed');
      const served = JSON.parse(line) as { url: string; credentials: unknown[]; keys: { aliases: string[] }[] };
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(served.credentials).toEqual([{ accessKeyId: 'AKIAFAKE000000000001' }]);
      expect(served.keys[0]?.aliases).toEqual(['alias/dev']);
      const health = await fetch(`${served.url}/__fake/health`);
      expect(await health.json()).toEqual({ ok: true });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
