import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatEnvFile } from '@tsp/config-crypto';
import { ProxyProcess, startProxy } from '@tsp/test-support';

/**
 * EDEKs, tenant secrets and the config document made by format version 1 must keep working in
 * every later version. The fixture is frozen: if this test fails, the change broke old data.
 */
interface Fixture {
  serviceAccount: Record<string, string>;
  document: unknown;
  edeks: { tenantId: string; leased: boolean; edek: string; dek: string }[];
  derived: { tenantId: string; secretPath: string; derivationPath: string; tenantSecretId: number; derivedKey: string }[];
}

const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'fixtures', 'frozen-edeks', 'v1.json'), 'utf8')) as Fixture;
let dir: string;
let proxy: ProxyProcess;

async function call(route: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${proxy.url}/api/1/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `cmk ${fixture.serviceAccount['API_KEY']}` },
    body: JSON.stringify({ iclFields: { requestingId: 'frozen-test' }, ...body }),
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tsp-frozen-'));
  const documentFile = path.join(dir, 'document.json');
  writeFileSync(documentFile, JSON.stringify(fixture.document));
  writeFileSync(path.join(dir, 'sa.env'), formatEnvFile({ ...fixture.serviceAccount, TSP_CONFIG_URL: `file://${documentFile}` }, 'frozen fixture'));
  proxy = await startProxy({ serviceAccountFile: path.join(dir, 'sa.env') });
});

afterAll(async () => {
  await proxy?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the fixture covers leased and unleased EDEKs', () => {
  expect(fixture.edeks.some((e) => e.leased)).toBe(true);
  expect(fixture.edeks.some((e) => !e.leased)).toBe(true);
});

test.each(fixture.edeks.map((e, i) => [i, e.tenantId, e.leased ? 'leased' : 'unleased', e] as const))(
  'frozen EDEK %i (%s, %s) unwraps to its DEK',
  async (_i, tenantId, _kind, e) => {
    expect(await call('document/unwrap', { tenantId, encryptedDocumentKey: e.edek })).toEqual({ dek: e.dek });
  },
);

test('frozen EDEKs unwrap in one batch', async () => {
  const t1 = fixture.edeks.filter((e) => e.tenantId === 'frozen-tenant-1');
  const r = await call('document/batch-unwrap', { tenantId: 'frozen-tenant-1', edeks: Object.fromEntries(t1.map((e, i) => [`d${i}`, e.edek])) });
  expect(r).toEqual({ keys: Object.fromEntries(t1.map((e, i) => [`d${i}`, { dek: e.dek }])), failures: {} });
});

test('frozen tenant secrets derive the same keys', async () => {
  for (const d of fixture.derived) {
    const r = await call('key/derive-with-secret-path', {
      tenantId: d.tenantId,
      paths: { [d.secretPath]: [d.derivationPath] },
      derivationType: 'sha512',
      secretType: 'deterministic',
    });
    expect(r).toEqual({
      hasPrimaryConfig: true,
      derivedKeys: { [d.secretPath]: { [d.derivationPath]: [{ derivedKey: d.derivedKey, tenantSecretId: d.tenantSecretId, current: true }] } },
    });
  }
});
