import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkManifests } from './kubernetes-invariants';
import { KubeObject, KUBERNETES_DIR, kustomize, loadYamlDocuments, strictFieldCheck, validateAgainstSchemas } from './kubernetes-manifests';
import { REPO_ROOT } from './kubernetes-app-settings';

/**
 * docker/kubernetes offline: every kustomization builds (every resource and patch file exists,
 * every patch hits one resource of its base), every object passes the official schemas and the
 * strict unknown-field check, and the invariants the apps need hold (kubernetes-invariants.ts).
 * The second half breaks a copy of the base in one way each and shows the checks notice.
 */

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

const KUSTOMIZATIONS = yamlFiles(KUBERNETES_DIR)
  .filter((f) => path.basename(f) === 'kustomization.yaml')
  .map((f) => path.dirname(f));
const BASE = path.join(KUBERNETES_DIR, 'base');

function named(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not found`);
  return o;
}

// Accessors into the base's pod specs for the negative tests.
type Obj = Record<string, any>; // test-only: mutating nested manifest fields
function podSpec(o: KubeObject): Obj {
  return (o as Obj)['spec']['template']['spec'] as Obj;
}
function container(o: KubeObject, name: string): Obj {
  const spec = podSpec(o);
  return [...(spec['containers'] ?? []), ...(spec['initContainers'] ?? [])].find((c: Obj) => c['name'] === name) as Obj;
}

describe('docker/kubernetes', () => {
  test('there is a base and the example overlays, and every YAML file belongs to a kustomization', () => {
    expect(KUSTOMIZATIONS.map((d) => path.relative(KUBERNETES_DIR, d)).sort()).toEqual(['base', 'overlays/autoscaling', 'overlays/example']);
    const used = new Set(KUSTOMIZATIONS.flatMap((d) => kustomize(d).files));
    const orphans = yamlFiles(KUBERNETES_DIR).map((f) => path.relative(REPO_ROOT, f)).filter((f) => !used.has(f));
    expect(orphans).toEqual([]);
    for (const f of yamlFiles(KUBERNETES_DIR)) expect(loadYamlDocuments(f).length).toBeGreaterThan(0);
  });

  test.each(KUSTOMIZATIONS.map((d) => [path.relative(KUBERNETES_DIR, d), d]))('%s builds, passes the official schemas, the strict field check and the invariants', (_name, dir) => {
    const { objects } = kustomize(dir);
    expect(objects.length).toBeGreaterThan(0);
    const schemaErrors = validateAgainstSchemas(objects);
    expect(objects.map((o, i) => ({ object: `${o.kind}/${o.metadata.name}`, errors: schemaErrors[i] })).filter((x) => (x.errors ?? []).length > 0)).toEqual([]);
    const fieldErrors = strictFieldCheck(objects);
    expect(objects.map((o, i) => ({ object: `${o.kind}/${o.metadata.name}`, errors: fieldErrors[i] })).filter((x) => (x.errors ?? []).length > 0)).toEqual([]);
    expect(checkManifests(objects)).toEqual([]);
  }, 60_000);

  test('the base: a proxy+logdriver pair per pod with its own spool PVC, the broker on PostgreSQL, services, PDBs, a NetworkPolicy', () => {
    const { objects } = kustomize(BASE);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'Deployment/tsp-config-broker',
        'NetworkPolicy/tsp-proxy',
        'PodDisruptionBudget/tsp-config-broker',
        'PodDisruptionBudget/tsp-proxy',
        'Service/tsp-config-broker',
        'Service/tsp-logdriver',
        'Service/tsp-proxy',
        'Service/tsp-proxy-pods',
        'StatefulSet/tsp-proxy',
      ].sort(),
    );
    const sts = named(objects, 'StatefulSet', 'tsp-proxy');
    expect(container(sts, 'logdriver')['restartPolicy']).toBe('Always');
    expect((sts as Obj)['spec']['volumeClaimTemplates'][0]['metadata']['name']).toBe('spool');
    expect(container(sts, 'proxy')['lifecycle']).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(container(sts, 'logdriver')['startupProbe']['httpGet']).toEqual({ path: '/ready', port: 'logdriver' });
    // The sidecar's port by number (named ports of init containers get no endpoints before 1.32).
    expect((named(objects, 'Service', 'tsp-logdriver') as Obj)['spec']['ports']).toEqual([{ name: 'logdriver', port: 9001, targetPort: 9001 }]);
  });

  test('the example overlay: namespace, registry images with a tag, three pairs, resources for 100,000 tenants and 4 workers', () => {
    const { objects } = kustomize(path.join(KUBERNETES_DIR, 'overlays', 'example'));
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('tsp');
    const sts = named(objects, 'StatefulSet', 'tsp-proxy');
    expect((sts as Obj)['spec']['replicas']).toBe(3);
    expect(container(sts, 'proxy')['image']).toBe('registry.example.com/tsp/tsp-proxy:1.0.0');
    expect(container(sts, 'logdriver')['image']).toBe('registry.example.com/tsp/tsp-logdriver:1.0.0');
    expect(container(sts, 'proxy')['resources']['limits']).toEqual({ cpu: '4', memory: '7680Mi' });
    expect((sts as Obj)['spec']['volumeClaimTemplates'][0]['spec']['resources']['requests']).toEqual({ storage: '20Gi' });
    // The patch merged into the proxy container by name: its env and probes are still there.
    expect(container(sts, 'proxy')['env'].length).toBeGreaterThan(3);
    expect(container(named(objects, 'Deployment', 'tsp-config-broker'), 'config-broker')['image']).toBe('registry.example.com/tsp/tsp-config-broker:1.0.0');
  });

  test('the autoscaling overlay: an HPA on the proxy container CPU, and no replicas for kubectl apply to reset', () => {
    const { objects } = kustomize(path.join(KUBERNETES_DIR, 'overlays', 'autoscaling'));
    expect((named(objects, 'StatefulSet', 'tsp-proxy') as Obj)['spec']['replicas']).toBeUndefined();
    const hpa = named(objects, 'HorizontalPodAutoscaler', 'tsp-proxy') as Obj;
    expect(hpa['spec']['metrics'][0]['containerResource']['container']).toBe('proxy');
  });
});

describe('the checks notice what would break a deployment', () => {
  let base: KubeObject[];
  beforeEach(() => {
    base = structuredClone(kustomize(BASE).objects);
  });
  const sts = (): KubeObject => named(base, 'StatefulSet', 'tsp-proxy');
  const broker = (): KubeObject => named(base, 'Deployment', 'tsp-config-broker');
  const problemsAfter = (change: () => void): string[] => {
    expect(checkManifests(base)).toEqual([]);
    change();
    return checkManifests(base);
  };

  test.each<[string, () => void, RegExp]>([
    ['an unknown TSP_* variable on the proxy', () => container(sts(), 'proxy')['env'].push({ name: 'TSP_WORKER', value: '2' }), /proxy: unknown variables TSP_WORKER/],
    ['a proxy variable on the logdriver', () => container(sts(), 'logdriver')['env'].push({ name: 'TSP_PORT', value: '7777' }), /logdriver: unknown variables TSP_PORT/],
    ['a bad value', () => container(broker(), 'config-broker')['env'].push({ name: 'TSP_BROKER_LOG_LEVEL', value: 'verbose' }), /the config-broker would not start:[\s\S]*TSP_BROKER_LOG_LEVEL must be one of/],
    ['service links left on', () => delete podSpec(sts())['enableServiceLinks'], /enableServiceLinks is not false/],
    ['a probe on the wrong port', () => (container(sts(), 'proxy')['readinessProbe']['httpGet']['port'] = 7777), /readinessProbe on port 7777, the proxy's health port is 9000/],
    ['a probe on a route the broker does not serve', () => (container(broker(), 'config-broker')['readinessProbe']['httpGet']['path'] = '/ready'), /readinessProbe path \/ready \(the config-broker serves \/live\)/],
    ['a port the app does not listen on', () => (container(sts(), 'logdriver')['env'].find((e: Obj) => e['name'] === 'TSP_LOGDRIVER_PORT')['value'] = '9002'), /containerPorts 9001 but the logdriver listens on 9002/],
    ['a writable root filesystem', () => (container(sts(), 'logdriver')['securityContext']['readOnlyRootFilesystem'] = false), /logdriver: readOnlyRootFilesystem is not true/],
    ['root', () => (container(broker(), 'config-broker')['securityContext']['runAsUser'] = 0), /config-broker: runAsUser is not 10001/],
    ['a grace period shorter than preStop + shutdown', () => (podSpec(sts())['terminationGracePeriodSeconds'] = 30), /terminationGracePeriodSeconds 30 s is not more than preStop \+ shutdown timeouts \(35 s\)/],
    ['a longer shutdown timeout', () => (container(broker(), 'config-broker')['env'].find((e: Obj) => e['name'] === 'TSP_BROKER_SHUTDOWN_TIMEOUT_MS')['value'] = '25000'), /terminationGracePeriodSeconds 30 s is not more than preStop \+ shutdown timeouts \(30 s\)/],
    ['more CPU without more workers', () => (container(sts(), 'proxy')['env'] = container(sts(), 'proxy')['env'].map((e: Obj) => (e['name'] === 'TSP_WORKERS' ? { name: 'TSP_WORKERS', value: '2' } : e))) && (container(sts(), 'proxy')['resources']['limits']['cpu'] = '3'), /TSP_WORKERS 2 does not match limits.cpu 3/],
    ['the spool on an emptyDir', () => {
      podSpec(sts())['volumes'].push({ name: 'scratch', emptyDir: {} });
      container(sts(), 'logdriver')['volumeMounts'][0]['name'] = 'scratch';
    }, /the spool \/var\/lib\/tsp\/spool is not on a volumeClaimTemplate/],
    ['the logdriver as a plain container', () => {
      const spec = podSpec(sts());
      const l = spec['initContainers'].pop();
      delete l['restartPolicy'];
      spec['containers'].push(l);
    }, /the logdriver is not a native sidecar/],
    ['the broker on SQLite', () => (container(broker(), 'config-broker')['env'] = container(broker(), 'config-broker')['env'].map((e: Obj) => (e['name'] === 'TSP_BROKER_DB' ? { name: 'TSP_BROKER_DB', value: '/tmp/broker.db' } : e))), /the broker runs on SQLite/],
    ['a service-account file that is not mounted', () => (container(sts(), 'proxy')['volumeMounts'] = container(sts(), 'proxy')['volumeMounts'].filter((m: Obj) => m['mountPath'] !== '/etc/tsp')), /TSP_SERVICE_ACCOUNT_FILE \/etc\/tsp\/service-account.env is not a read-only mounted Secret/],
    ['a foreign image', () => (container(sts(), 'proxy')['image'] = 'nginx:1.27'), /image nginx:1.27 is none of/],
    ['a Service selecting nothing', () => ((named(base, 'Service', 'tsp-proxy') as Obj)['spec']['selector'] = { app: 'tsp' }), /Service\/tsp-proxy: selects no pods/],
    ['a Service port the pods lack', () => ((named(base, 'Service', 'tsp-logdriver') as Obj)['spec']['ports'][0]['targetPort'] = 'intake'), /targetPort intake is no port/],
    ['a Service port number no container declares', () => ((named(base, 'Service', 'tsp-logdriver') as Obj)['spec']['ports'][0]['targetPort'] = 9002), /Service\/tsp-logdriver: targetPort 9002 is no port of the selected pods/],
    // Kubernetes 1.30/1.31 give a named port of a native sidecar no Service endpoints (#127958).
    ['a Service targetPort named after a port only the sidecar declares', () => ((named(base, 'Service', 'tsp-logdriver') as Obj)['spec']['ports'][0]['targetPort'] = 'logdriver'), /Service\/tsp-logdriver: targetPort logdriver names a port declared only by init container logdriver \(a native sidecar\)[\s\S]*use the port number/],
    ['a NetworkPolicy port named after a port only the sidecar declares', () => ((named(base, 'NetworkPolicy', 'tsp-proxy') as Obj)['spec']['ingress'][1]['ports'][0]['port'] = 'logdriver'), /NetworkPolicy\/tsp-proxy: port logdriver names a port declared only by init container logdriver/],
    ['the sidecar started on /live (the proxy would start before the intake takes events)', () => (container(sts(), 'logdriver')['startupProbe']['httpGet']['path'] = '/live'), /logdriver: startupProbe path \/live \(the logdriver serves \/ready\); a native sidecar's startup probe gates the main containers/],
    ['the sidecar without a startup probe', () => delete container(sts(), 'logdriver')['startupProbe'], /logdriver: no startupProbe \(httpGet\): a native sidecar without one lets the main containers start before it serves/],
    ['Prometheus pointed at the API', () => ((sts() as Obj)['spec']['template']['metadata']['annotations']['prometheus.io/port'] = '7777'), /Prometheus annotations/],
    ['no preStop', () => delete container(sts(), 'proxy')['lifecycle'], /proxy: no preStop delay/],
    ['spools deleted on scale-down', () => ((sts() as Obj)['spec']['persistentVolumeClaimRetentionPolicy']['whenScaled'] = 'Delete'), /persistentVolumeClaimRetentionPolicy must Retain/],
  ])('%s', (_what, change, expected) => {
    const problems = problemsAfter(change);
    expect(problems.join('\n')).toMatch(expected);
  });

  test('the official schemas refuse a wrong type, and the strict check an unknown field', () => {
    const s = sts() as Obj;
    s['spec']['replicas'] = 'two';
    container(sts(), 'proxy')['readinessProbe']['httpGet']['paht'] = '/ready';
    const i = base.indexOf(sts());
    expect(validateAgainstSchemas(base)[i]?.join(' ')).toMatch(/replicas.*integer/);
    const strict = strictFieldCheck(base);
    expect(strict[i]?.join(' ')).toMatch(/'"paht"' does not exist in type/);
    expect(strict.filter((e, j) => j !== i && e.length > 0)).toEqual([]);
    expect(validateAgainstSchemas([{ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }])[0]?.join(' ')).toMatch(/not a known Kubernetes kind/);
  }, 60_000);

  test('a kustomization whose patch misses, whose resource is missing or that uses what the check cannot build is refused', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsp-kustomize-'));
    try {
      const write = (k: string): void => writeFileSync(path.join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${k}`);
      write(`resources: [${BASE}]\npatches:\n  - target: {kind: Deployment, name: tsp-proxy}\n    patch: '[{"op": "remove", "path": "/spec/replicas"}]'\n`);
      expect(() => kustomize(dir)).toThrow(/patch target Deployment\/tsp-proxy matches 0 resources/);
      write(`resources: [${BASE}, missing.yaml]\n`);
      expect(() => kustomize(dir)).toThrow(/resource missing.yaml does not exist/);
      write(`resources: [${BASE}]\npatches:\n  - path: gone.yaml\n`);
      expect(() => kustomize(dir)).toThrow(/patch gone.yaml does not exist/);
      write(`resources: [${BASE}]\ncommonLabels: {a: b}\n`);
      expect(() => kustomize(dir)).toThrow(/commonLabels not handled by this check/);
      write(`resources: [${BASE}]\nimages:\n  - name: tsp-prox\n    newTag: "2"\n`);
      expect(() => kustomize(dir)).toThrow(/image tsp-prox is used by no container/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
