import path from 'node:path';
import { runFakeProcess, startFakeProcess, stopFakeProcess } from '@tsp/fake-support';

const MAIN = path.resolve(__dirname, '../../../../dist/tools/fakes/google-cloud-logging/main.js');

it('starts from one command, prints its URLs and a service account, stops on SIGTERM', async () => {
  const { child, info } = await startFakeProcess<{ url: string; tokenUri: string; serviceAccount: { private_key: string; token_uri: string } }>(MAIN);
  try {
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.tokenUri).toBe(`${info.url}/token`);
    expect(info.serviceAccount.private_key).toContain('BEGIN PRIVATE KEY');
    const unauth = await fetch(`${info.url}/v2/entries:write`, { method: 'POST', body: '{}' });
    expect(unauth.status).toBe(401);
  } finally {
    expect(await stopFakeProcess(child)).toBe(0);
  }
});

it('refuses a bad port with exit code 2', async () => {
  expect((await runFakeProcess(MAIN, ['--port', 'x'])).code).toBe(2);
});
