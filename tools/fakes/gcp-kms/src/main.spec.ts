import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runFakeProcess, startFakeProcess, stopFakeProcess } from '@tsp/fake-support';
import { freePort } from '@tsp/test-support';

const MAIN = path.resolve(__dirname, '../../../../dist/tools/fakes/gcp-kms/main.js');
const KEY = 'projects/cli-project/locations/global/keyRings/r/cryptoKeys/k';

it('starts from one command on the chosen port, prints its URLs and a service account, stops on SIGTERM', async () => {
  const port = await freePort();
  const { child, info } = await startFakeProcess<{ url: string; tokenUri: string; keys: string[]; serviceAccount: { client_email: string; private_key: string; token_uri: string } }>(MAIN, [
    '--port',
    String(port),
    '--key',
    KEY,
  ]);
  try {
    expect(info.url).toBe(`http://127.0.0.1:${port}`);
    expect(info.tokenUri).toBe(`http://127.0.0.1:${port}/token`);
    expect(info.keys).toEqual([KEY]);
    expect(info.serviceAccount.private_key).toContain('BEGIN PRIVATE KEY');
    const stats = await (await fetch(`${info.url}/__control/stats`)).json();
    expect(stats).toMatchObject({ kmsRequests: 0 });
    const unauth = await fetch(`${info.url}/v1/${KEY}:encrypt`, { method: 'POST', body: '{}' });
    expect(unauth.status).toBe(401);
  } finally {
    expect(await stopFakeProcess(child)).toBe(0);
  }
});

it('refuses a bad port', async () => {
  expect((await runFakeProcess(MAIN, ['--port', 'x'])).code).toBe(2);
});

it('accepts the service account of a key file, keeping only its public key', async () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fake-gcp-')), 'sa.json');
  const email = 'from-file@p.iam.gserviceaccount.com';
  writeFileSync(file, JSON.stringify({ type: 'service_account', client_email: email, private_key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) }));
  const { child, info } = await startFakeProcess<{ tokenUri: string; serviceAccount?: unknown }>(MAIN, ['--service-account-file', file]);
  try {
    expect(info.serviceAccount).toBeUndefined();
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iss: email, aud: info.tokenUri, scope: 'https://www.googleapis.com/auth/cloudkms', iat: now, exp: now + 600 })}`;
    const assertion = `${input}.${sign('RSA-SHA256', Buffer.from(input), pair.privateKey).toString('base64url')}`;
    const r = await fetch(info.tokenUri, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
    expect(r.status).toBe(200);
  } finally {
    await stopFakeProcess(child);
  }
});
