import { DocumentMetadata, TenantSecurityClient, TenantSecurityException } from '@ironcorelabs/tenant-security-nodejs';
import { freePort, ProxyProcess, startProxy, TestEnvironment, waitUntil } from '@tsp/test-support';
import { LogdriverProcess, startLogdriver } from './logdriver-process';

/**
 * A tenant whose logging system is down fills its spool quota; then the logdriver refuses its
 * new events. In strict audit mode the proxy must not hand out keys for them: the tenant's wraps
 * fail with 301, while another tenant's wraps go on. Built proxy and logdriver, unmodified client.
 */
let te: TestEnvironment;
let ld: LogdriverProcess;
let proxy: ProxyProcess;

beforeAll(async () => {
  te = await TestEnvironment.create();
  const closedPort = await freePort();
  te.update((tenants) => {
    const t = tenants.find((x) => x.tenantId === 'demo-tenant-1');
    if (t === undefined) throw new Error('no demo-tenant-1');
    // Its Splunk is unreachable (nothing listens on that loopback port): events stay pending.
    t.logging = { sinks: [{ id: 'siem', type: 'splunk-hec', settings: { url: `http://127.0.0.1:${closedPort}` }, credentials: { token: 'e2e-token-0000000000' } }] };
  });
  ld = await startLogdriver({
    spoolDir: `${te.env.dir}/spool`,
    eventsDir: `${te.env.dir}/events`,
    env: { TSP_SERVICE_ACCOUNT_FILE: te.env.serviceAccountFile, TSP_LOGDRIVER_TENANT_QUOTA_BYTES: '4096' },
  });
  proxy = await startProxy({
    serviceAccountFile: te.env.serviceAccountFile,
    env: { LOGDRIVER_URL: ld.url, TSP_AUDIT_MODE: 'strict', TSP_AUDIT_STRICT_TIMEOUT_MS: '3000' },
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await ld?.stop();
  te?.remove();
});

test('strict mode: once a tenant is over its spool quota its wraps fail with 301; other tenants are served', async () => {
  const client = new TenantSecurityClient(proxy.url, te.apiKey);
  const meta = (tenantId: string): DocumentMetadata => new DocumentMetadata(tenantId, 'svc', 'PII');
  let failure: TenantSecurityException | undefined;
  let served = 0;
  for (let i = 0; i < 60 && failure === undefined; i++) {
    try {
      await client.encryptDocument({ f: Buffer.from('x') }, meta('demo-tenant-1'));
      served++;
    } catch (e) {
      failure = e as TenantSecurityException;
    }
  }
  expect(served).toBeGreaterThan(0);
  expect(failure?.errorCode).toBe(301);
  expect(failure?.httpResponseCode).toBe(503);
  expect(failure?.message).toContain('the logdriver refused the event');
  await client.encryptDocument({ f: Buffer.from('y') }, meta('demo-tenant-2'));
  const proxyMetrics = await (await fetch(`${proxy.healthUrl}/metrics`)).text();
  expect(proxyMetrics).toMatch(/tsp_strict_audit_failures_total\{reason="refused"\} [1-9]/);
  await waitUntil(async () => /tsp_logdriver_events_dropped_total\{reason="tenant_quota"\} [1-9]/.test(await (await fetch(`${ld.url}/metrics`)).text()), 5000, 'logdriver drop count');
  expect(ld.stderr()).not.toContain('e2e-token-0000000000');
});
