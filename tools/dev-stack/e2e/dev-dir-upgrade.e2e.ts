import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DocumentMetadata, EncryptedDocumentWithEdek, TenantSecurityClient } from '@ironcorelabs/tenant-security-nodejs';
import { parseEnvFile } from '@tsp/config-crypto';
import { ensureDevEnvironment } from '@tsp/dev-environment';
import { freePort, startProxy } from '@tsp/test-support';
import { apiKeyOf, DevStack, startDevStack } from './dev-stack-process';

/**
 * A var/dev made when `npm start` ran on a signed file document keeps working: the stack adds
 * the broker, seeds it with that directory's configs (same ids, same keys), moves the old
 * service account aside and keeps its API key, so documents encrypted back then still decrypt.
 * A second start reuses the broker's database: no second seeding, admin changes persist.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'tsp-devstack-old-'));
let stack: DevStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an old file-document dev dir gets the broker part; its EDEKs, API key and fakes keep working; a restart does not seed again', async () => {
  // The old embedded default: file document, file service account, plain tenants with their KEKs.
  const fakePorts = { aws: await freePort(), gcp: await freePort(), azure: await freePort() };
  const { env } = await ensureDevEnvironment(dir, undefined, fakePorts);
  const oldKey = env.apiKey;
  const oldProxy = await startProxy({ serviceAccountFile: env.serviceAccountFile, env: { TSP_EVENT_OUTPUT: 'none' } });
  const encrypted: [DocumentMetadata, EncryptedDocumentWithEdek][] = [];
  try {
    const client = new TenantSecurityClient(oldProxy.url, oldKey);
    for (const t of ['demo-tenant-1', 'demo-tenant-2']) {
      const meta = new DocumentMetadata(t, 'dev-dir-upgrade', 'PII');
      encrypted.push([meta, await client.encryptDocument({ f: Buffer.from(`made by ${t} on the file document`) }, meta)]);
    }
  } finally {
    await oldProxy.stop();
  }

  stack = await startDevStack(dir, { fakePorts: [fakePorts.aws, fakePorts.gcp, fakePorts.azure].join(',') });
  expect(stack.output()).toContain('(same KMS config ids and keys)');
  expect(stack.output()).not.toContain('created the development environment');
  expect(stack.output()).toContain('file-document service account moved to');
  const sa = stack.serviceAccount();
  expect(sa['TSP_CONFIG_URL']).toBe(`${stack.brokerUrl}/api/v1/config-document`);
  expect(sa['API_KEY']).toBe(oldKey);
  const moved = parseEnvFile(readFileSync(path.join(dir, 'service-account.file-document.env'), 'utf8'));
  expect(moved['TSP_CONFIG_URL']).toMatch(/^file:/);
  expect(stack.output()).not.toContain(oldKey);

  const client = new TenantSecurityClient(stack.proxyUrl, apiKeyOf(stack));
  for (const [meta, enc] of encrypted) {
    const back = await client.decryptDocument(enc, meta);
    expect(back.plaintextDocument['f']?.toString()).toBe(`made by ${meta.tenantId} on the file document`);
  }
  // The cloud tenants are there too, on the dir's own fakes.
  const aws = new DocumentMetadata('demo-tenant-aws', 'dev-dir-upgrade', 'PII');
  const awsDoc = await client.encryptDocument({ f: Buffer.from('aws') }, aws);
  expect((await client.decryptDocument(awsDoc, aws)).plaintextDocument['f']?.toString()).toBe('aws');
  expect((await stack.admin('POST', '/tenants', { id: 'added-by-hand', name: 'Added by hand' })).status).toBe(201);
  await stack.stop();

  // Second start: the broker's database is reused as it is.
  stack = await startDevStack(dir, { fakePorts: [fakePorts.aws, fakePorts.gcp, fakePorts.azure].join(',') });
  expect(stack.output()).not.toContain('seeding the configuration broker');
  expect((await stack.admin('GET', '/tenants/added-by-hand')).status).toBe(200);
  expect(stack.serviceAccount()['API_KEY']).toBe(oldKey);
  const again = new TenantSecurityClient(stack.proxyUrl, apiKeyOf(stack));
  const [meta, enc] = encrypted[0];
  expect((await again.decryptDocument(enc, meta)).plaintextDocument['f']?.toString()).toBe('made by demo-tenant-1 on the file document');
  expect(existsSync(path.join(dir, 'broker.db'))).toBe(true);
}, 120_000);
