import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DocumentMetadata, EventMetadata, TenantSecurityClient, UserEvent } from '@ironcorelabs/tenant-security-nodejs';
import { ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';
import { LogdriverProcess, startLogdriver } from './logdriver-process';

/**
 * The whole audit path as a user meets it: the unmodified Node client calls the built proxy,
 * whose events go to the built logdriver, which spools them and writes each tenant's file in
 * the delivered shape.
 */
let env: TestEnvironment;
let logdriver: LogdriverProcess;
let proxy: ProxyProcess;
let eventsDir: string;

function lines(tenantId: string): Record<string, unknown>[] {
  const file = path.join(eventsDir, `${tenantId}.ndjson`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  eventsDir = path.join(env.env.dir, 'events');
  logdriver = await startLogdriver({ spoolDir: path.join(env.env.dir, 'spool'), eventsDir });
  proxy = await startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { LOGDRIVER_URL: logdriver.url } });
});

afterAll(async () => {
  await proxy?.stop();
  await logdriver?.stop();
  env?.remove();
});

test('key operations and application events land in each tenant file, in the delivered shape', async () => {
  const client = new TenantSecurityClient(proxy.url, env.apiKey);
  const enc = await client.encryptDocument({ f: Buffer.from('x') }, new DocumentMetadata('demo-tenant-1', 'svc', 'PII'));
  await client.decryptDocument(enc, new DocumentMetadata('demo-tenant-1', 'svc', 'PII'));
  await client.logSecurityEvent(UserEvent.LOGIN, new EventMetadata('demo-tenant-2', 'user-9', 'PII', 1700000000000, '127.0.0.1', 'obj', 'req-9', { k: 'v' }));
  await waitUntil(() => lines('demo-tenant-1').length >= 2 && lines('demo-tenant-2').length >= 1, 10000, 'events in the tenant files');
  expect(lines('demo-tenant-1').map((e) => (e.iclFields as { event: string }).event)).toEqual(['KMS_WRAP_KEY', 'KMS_UNWRAP_KEY']);
  expect(lines('demo-tenant-2')[0]).toEqual({
    tenantId: 'demo-tenant-2',
    timestamp: '2023-11-14T22:13:20.000Z',
    iclFields: { event: 'USER_LOGIN', requestingId: 'user-9', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'obj', requestId: 'req-9', tspRayId: expect.any(String) as string, logdriverRayId: expect.stringMatching(/^[0-9a-f]{12}-\d+$/) as string },
    customFields: { k: 'v' },
  });
  expect(proxy.stdoutLines).toEqual([]);
});
