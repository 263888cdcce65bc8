import { ProxyProcess, startProxy, TestEnvironment } from '@tsp/test-support';

/**
 * Leasing across requests and proxy instances, counted in each proxy's metrics: 10,000 wraps
 * make one KMS call per lease, concurrent first requests share it, and another instance
 * unwraps all those EDEKs after one KMS call of its own.
 */
let env: TestEnvironment;
let a: ProxyProcess;
let b: ProxyProcess;

async function post(p: ProxyProcess, route: string, body: Record<string, unknown>): Promise<Record<string, string>> {
  const res = await fetch(`${p.url}/api/1/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `cmk ${env.apiKey}` },
    body: JSON.stringify({ tenantId: 'demo-tenant-2', iclFields: { requestingId: 'leasing-test' }, ...body }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string>;
}

async function kmsCalls(p: ProxyProcess, operation: string): Promise<number> {
  const text = await (await fetch(`${p.healthUrl}/metrics`)).text();
  const m = new RegExp(`^tsp_kms_config_calls_total\\{kms_config_id="201",provider="local",operation="${operation}"\\} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

beforeAll(async () => {
  env = await TestEnvironment.create();
  [a, b] = await Promise.all([
    startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_EVENT_OUTPUT: 'none' } }),
    startProxy({ serviceAccountFile: env.env.serviceAccountFile, env: { TSP_EVENT_OUTPUT: 'none' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  env?.remove();
});

test('10,000 leased wraps, the first 200 concurrent, make exactly one KMS call', async () => {
  const first = await Promise.all(Array.from({ length: 200 }, () => post(a, 'document/wrap', {})));
  expect(await kmsCalls(a, 'wrap')).toBe(1);
  const edeks = first.map((r) => r['edek']);
  let done = 200;
  const worker = async (): Promise<void> => {
    while (done < 10_000) {
      done++;
      await post(a, 'document/wrap', {});
    }
  };
  await Promise.all(Array.from({ length: 25 }, worker));
  expect(await kmsCalls(a, 'wrap')).toBe(1);
  expect(await kmsCalls(a, 'unwrap')).toBe(0);

  // Another instance: 200 concurrent unwraps of the first instance's EDEKs share one KMS call.
  const deks = await Promise.all(edeks.map((edek) => post(b, 'document/unwrap', { encryptedDocumentKey: edek })));
  expect(deks.map((d) => d['dek'])).toEqual(first.map((r) => r['dek']));
  expect(await kmsCalls(b, 'unwrap')).toBe(1);
  const cache = await (await fetch(`${b.healthUrl}/metrics`)).text();
  expect(cache).toMatch(/tsp_leased_key_cache_total\{result="miss"\} 1$/m);
}, 120_000);
