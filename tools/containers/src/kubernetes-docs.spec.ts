import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { AppName, knownEnvNames, REPO_ROOT, resolveApp, sampleServiceAccount } from './kubernetes-app-settings';
import { cpuCores } from './kubernetes-invariants';
import { KubeObject, KUBERNETES_DIR, kustomize, strictFieldCheck, validateAgainstSchemas } from './kubernetes-manifests';

/**
 * docs/deployment.md stays true to the apps and the manifests: every variable it names is a
 * setting of an app, its YAML passes the schemas, the paths it names exist, and the sizing
 * formula it states is what the manifests' resources follow.
 */

const DOC = path.join(REPO_ROOT, 'docs', 'deployment.md');
const text = readFileSync(DOC, 'utf8');
const ALL_KNOWN = new Set((['proxy', 'logdriver', 'config-broker'] as AppName[]).flatMap((a) => [...knownEnvNames(a)]));

test('every variable the deployment guide names exists (TSP_PROXY_PORT only as the service-link example)', () => {
  const named = new Set(text.match(/\b(TSP_[A-Z0-9_]+|API_KEY(?:_2)?|LOGDRIVER_URL)\b/g) ?? []);
  expect(named.size).toBeGreaterThan(10);
  const unknown = [...named].filter((n) => !ALL_KNOWN.has(n));
  expect(unknown).toEqual(['TSP_PROXY_PORT']);
  expect(text).toMatch(/such as `TSP_PROXY_PORT=tcp:\/\/…`/);
});

test('its YAML passes the official schemas and the strict field check, and its drain pod starts a logdriver', () => {
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] ?? '') as KubeObject);
  expect(blocks.length).toBeGreaterThan(0);
  expect(validateAgainstSchemas(blocks).flat()).toEqual([]);
  expect(strictFieldCheck(blocks).flat()).toEqual([]);
  const pod = blocks.find((b) => b.kind === 'Pod') as KubeObject & { spec: { containers: { env: { name: string; value: string }[] }[] } };
  const env = Object.fromEntries(pod.spec.containers[0]?.env.map((e) => [e.name, e.value]) ?? []);
  expect(resolveApp('logdriver', env, sampleServiceAccount('http://tsp-config-broker:9500/api/v1/config-document')).spoolDir).toBe('/var/lib/tsp/spool');
}, 60_000);

test('the paths it names exist', () => {
  const paths = new Set(text.match(/(?<![\w/])(?:docker|tools|docs)\/[A-Za-z0-9_./-]+[A-Za-z0-9_]/g) ?? []);
  expect(paths.size).toBeGreaterThan(3);
  expect([...paths].filter((p) => !existsSync(path.join(REPO_ROOT, p)) && !p.startsWith('docker/secrets/'))).toEqual([]);
});

/** MiB of a memory quantity (Mi, Gi). */
function mib(q: unknown): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(String(q));
  if (m === null) throw new Error(`unexpected memory quantity ${String(q)}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

test.each([
  ['base', 10_000],
  ['overlays/example', 100_000],
])('%s: the proxy resources follow the guide\'s formula for %i tenants', (dir, tenants) => {
  expect(text).toMatch(/proxy memory request ≈ 64 MiB \+ W × \(120 MiB \+ 9 KB × T\)/);
  expect(text).toMatch(/proxy memory limit {3}≈ 64 MiB \+ W × \(120 MiB \+ 2 × 9 KB × T\)/);
  const sts = kustomize(path.join(KUBERNETES_DIR, dir)).objects.find((o) => o.kind === 'StatefulSet') as unknown as { spec: { template: { spec: { containers: { name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } } } };
  const proxy = sts.spec.template.spec.containers.find((c) => c.name === 'proxy');
  if (proxy === undefined) throw new Error('no proxy container');
  const workers = Math.ceil(cpuCores(proxy.resources.limits['cpu']));
  const perTenantMiB = (9 * tenants) / 1024;
  const request = 64 + workers * (120 + perTenantMiB);
  const limit = 64 + workers * (120 + 2 * perTenantMiB);
  // At least the formula, and not more than one rounding step (256 MiB) above it.
  expect(mib(proxy.resources.requests['memory'])).toBeGreaterThanOrEqual(request);
  expect(mib(proxy.resources.requests['memory'])).toBeLessThan(request + 256);
  expect(mib(proxy.resources.limits['memory'])).toBeGreaterThanOrEqual(limit);
  expect(mib(proxy.resources.limits['memory'])).toBeLessThan(limit + 256);
  expect(text).toContain(`| ${tenants.toLocaleString('en-US')} | ${workers} |`);
});
