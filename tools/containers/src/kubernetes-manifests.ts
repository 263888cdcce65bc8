import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './kubernetes-app-settings';

/**
 * Offline checks of the Kubernetes manifests (docker/kubernetes/**): YAML loading, a small
 * kustomize (exactly the features our kustomizations use; anything else is an error, so the
 * checks never silently skip what kubectl would do), validation against the official schemas
 * (npm kubernetes-models) and a strict unknown-field check (the API server's strict field
 * validation, which kubectl apply uses by default, refuses unknown fields; the JSON schemas do
 * not), done by type-checking each object against kubernetes-models' TypeScript interfaces.
 */

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

export const KUBERNETES_DIR = path.join(REPO_ROOT, 'docker', 'kubernetes');

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every YAML document of a file; YAML errors and warnings (duplicate keys...) throw. */
export function loadYamlDocuments(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  const out: unknown[] = [];
  for (const d of docs) {
    const problems = [...d.errors, ...d.warnings];
    if (problems.length > 0) throw new Error(`${path.relative(REPO_ROOT, file)}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = d.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function asObject(value: unknown, where: string): KubeObject {
  if (!isRecord(value) || typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string' || !isRecord(value['metadata']) || typeof value['metadata']['name'] !== 'string') {
    throw new Error(`${where}: not a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return value as KubeObject;
}

export const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'namespace', 'images', 'replicas']);

export interface KustomizeResult {
  objects: KubeObject[];
  /** Files read (kustomization.yaml files, resources, patches), relative to the repo. */
  files: string[];
}

/** Kinds that have no namespace (kustomize's namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass']);

/** List fields merged by key in strategic merge patches (as Kubernetes declares them), others replaced. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeClaimTemplates: 'metadata.name',
};

function keyOf(item: unknown, key: string): unknown {
  let v: unknown = item;
  for (const part of key.split('.')) v = isRecord(v) ? v[part] : undefined;
  return v;
}

/** A strategic merge patch (without $patch directives, which our files do not use). */
export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (isRecord(patch)) {
    for (const k of Object.keys(patch)) if (k.startsWith('$')) throw new Error(`strategic merge directive ${k} is not supported by this check`);
    const base = isRecord(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) base[k] = v === null ? undefined : strategicMerge(base[k], v, k);
    for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
    return base;
  }
  const mergeKey = MERGE_KEYS[field];
  if (Array.isArray(patch) && mergeKey !== undefined && Array.isArray(target)) {
    const out = [...target];
    for (const item of patch) {
      const i = out.findIndex((t) => keyOf(t, mergeKey) === keyOf(item, mergeKey));
      if (i >= 0) out[i] = strategicMerge(out[i], item, '');
      else out.push(item);
    }
    return out;
  }
  return patch;
}

function pointer(p: string): string[] {
  if (!p.startsWith('/')) throw new Error(`JSON pointer '${p}' must start with /`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add/remove/replace (what our kustomizations use). */
export function jsonPatch(target: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw new Error('a JSON 6902 patch must be a list of operations');
  const doc = structuredClone(target) as Record<string, unknown>;
  for (const op of ops) {
    if (!isRecord(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') throw new Error(`bad JSON patch operation ${JSON.stringify(op)}`);
    const parts = pointer(op['path']);
    const last = parts.pop() as string;
    let parent: unknown = doc;
    for (const p of parts) parent = Array.isArray(parent) ? parent[Number(p)] : isRecord(parent) ? parent[p] : undefined;
    if (!isRecord(parent) && !Array.isArray(parent)) throw new Error(`JSON patch path ${op['path']} does not exist`);
    const container = parent as Record<string, unknown>;
    if (op['op'] === 'remove' || op['op'] === 'replace') {
      if (!(last in container)) throw new Error(`JSON patch ${op['op']} of ${op['path']}: no such field`);
      if (op['op'] === 'remove') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete container[last];
      } else container[last] = op['value'];
    } else if (op['op'] === 'add') {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op['value']);
      else container[last] = op['value'];
    } else throw new Error(`JSON patch operation '${op['op']}' is not supported by this check`);
  }
  return doc as KubeObject;
}

function podSpecs(o: KubeObject): Record<string, unknown>[] {
  const spec = isRecord(o['spec']) ? o['spec'] : undefined;
  const template = spec !== undefined && isRecord(spec['template']) ? spec['template'] : undefined;
  return template !== undefined && isRecord(template['spec']) ? [template['spec']] : [];
}

function matches(o: KubeObject, t: Record<string, unknown>): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return (t['kind'] === undefined || t['kind'] === o.kind) && (t['name'] === undefined || t['name'] === o.metadata.name) && (t['group'] === undefined || t['group'] === group) && (t['version'] === undefined || t['version'] === version);
}

/** `kubectl kustomize <dir>` for the subset our files use; every reference must resolve. */
export function kustomize(dir: string): KustomizeResult {
  const kfile = path.join(dir, 'kustomization.yaml');
  if (!existsSync(kfile)) throw new Error(`${path.relative(REPO_ROOT, dir)}: no kustomization.yaml`);
  const [k, ...more] = loadYamlDocuments(kfile);
  if (!isRecord(k) || more.length > 0) throw new Error(`${path.relative(REPO_ROOT, kfile)}: one mapping expected`);
  const where = path.relative(REPO_ROOT, kfile);
  if (k['apiVersion'] !== 'kustomize.config.k8s.io/v1beta1' || k['kind'] !== 'Kustomization') throw new Error(`${where}: apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization expected`);
  const unsupported = Object.keys(k).filter((key) => !KUSTOMIZATION_KEYS.has(key));
  if (unsupported.length > 0) throw new Error(`${where}: ${unsupported.join(', ')} not handled by this check (extend kubernetes-manifests.ts)`);
  const files = [path.relative(REPO_ROOT, kfile)];
  let objects: KubeObject[] = [];

  for (const r of (k['resources'] ?? []) as unknown[]) {
    if (typeof r !== 'string') throw new Error(`${where}: resources entries must be paths`);
    const p = path.resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${where}: resource ${r} does not exist`);
    if (statSync(p).isDirectory()) {
      const sub = kustomize(p);
      objects.push(...sub.objects);
      files.push(...sub.files);
    } else {
      files.push(path.relative(REPO_ROOT, p));
      loadYamlDocuments(p).forEach((d, i) => objects.push(asObject(d, `${path.relative(REPO_ROOT, p)} document ${i + 1}`)));
    }
  }

  const namespace = k['namespace'];
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') throw new Error(`${where}: namespace must be a string`);
    objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } }));
  }

  for (const img of (k['images'] ?? []) as unknown[]) {
    if (!isRecord(img) || typeof img['name'] !== 'string') throw new Error(`${where}: images entries need a name`);
    let used = false;
    for (const o of objects) {
      for (const spec of podSpecs(o)) {
        for (const c of [...((spec['containers'] ?? []) as Record<string, unknown>[]), ...((spec['initContainers'] ?? []) as Record<string, unknown>[])]) {
          const image = String(c['image']);
          const [name] = image.split(/[:@]/);
          if (name !== img['name']) continue;
          used = true;
          c['image'] = `${typeof img['newName'] === 'string' ? img['newName'] : name}:${typeof img['newTag'] === 'string' ? img['newTag'] : (image.split(':')[1] ?? 'latest')}`;
        }
      }
    }
    if (!used) throw new Error(`${where}: image ${img['name']} is used by no container of its resources`);
  }

  for (const r of (k['replicas'] ?? []) as unknown[]) {
    if (!isRecord(r) || typeof r['name'] !== 'string' || typeof r['count'] !== 'number') throw new Error(`${where}: replicas entries need name and count`);
    const targets = objects.filter((o) => o.metadata.name === r['name'] && ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind));
    if (targets.length !== 1) throw new Error(`${where}: replicas ${r['name']} matches ${targets.length} workloads`);
    const spec = targets[0]?.['spec'];
    if (!isRecord(spec)) throw new Error(`${where}: replicas ${r['name']}: the workload has no spec`);
    spec['replicas'] = r['count'];
  }

  for (const p of (k['patches'] ?? []) as unknown[]) {
    if (!isRecord(p)) throw new Error(`${where}: patches entries must be mappings`);
    let body: unknown;
    if (typeof p['path'] === 'string') {
      const pf = path.resolve(dir, p['path']);
      if (!existsSync(pf)) throw new Error(`${where}: patch ${p['path']} does not exist`);
      files.push(path.relative(REPO_ROOT, pf));
      const docs = loadYamlDocuments(pf);
      if (docs.length !== 1) throw new Error(`${where}: patch ${p['path']} must hold one document`);
      body = docs[0];
    } else if (typeof p['patch'] === 'string') {
      const docs = parseAllDocuments(p['patch']).map((d) => d.toJS() as unknown);
      if (docs.length !== 1) throw new Error(`${where}: inline patch must hold one document`);
      body = docs[0];
    } else throw new Error(`${where}: a patch needs path or patch`);
    const target = isRecord(p['target']) ? p['target'] : isRecord(body) ? { kind: body['kind'], name: isRecord(body['metadata']) ? body['metadata']['name'] : undefined } : undefined;
    if (target === undefined || target['kind'] === undefined || target['name'] === undefined) throw new Error(`${where}: a patch must name its target's kind and name`);
    const hits = objects.filter((o) => matches(o, target));
    if (hits.length !== 1) throw new Error(`${where}: patch target ${String(target['kind'])}/${String(target['name'])} matches ${hits.length} resources`);
    const hit = hits[0] as KubeObject;
    const patched = Array.isArray(body) ? jsonPatch(hit, body) : (strategicMerge(hit, body) as KubeObject);
    objects[objects.indexOf(hit)] = patched;
  }
  return { objects, files };
}

/** Runs kubernetes-schema-validate.mjs: one list of schema errors per object ([] when valid). */
export function validateAgainstSchemas(objects: readonly KubeObject[]): string[][] {
  const script = path.join(__dirname, 'kubernetes-schema-validate.mjs');
  const r = spawnSync(process.execPath, [script], { input: JSON.stringify(objects), cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`schema validation failed to run: ${r.stderr || String(r.error)}`);
  const results = JSON.parse(r.stdout) as { ok: boolean; errors?: string[] }[];
  return results.map((x) => (x.ok ? [] : (x.errors ?? ['invalid'])));
}

/** kubernetes-models/<group>/<version>/<Kind>; the core group is kubernetes-models/v1/<Kind>. */
function modulePathOf(o: KubeObject): string {
  return `kubernetes-models/${o.apiVersion}/${o.kind}`;
}

/**
 * Type-checks every object against `I<Kind>` of kubernetes-models: an unknown field anywhere
 * (a typo, a field of another Kubernetes version) is an excess property error. One list of
 * messages per object.
 */
export function strictFieldCheck(objects: readonly KubeObject[]): string[][] {
  const file = path.join(REPO_ROOT, 'tools', 'containers', 'src', '__kubernetes_strict_check__.ts');
  const imports: string[] = [];
  const lines: string[] = [];
  const seen = new Map<string, string>();
  const lineOf: number[] = [];
  objects.forEach((o, i) => {
    const mod = modulePathOf(o);
    let alias = seen.get(mod);
    if (alias === undefined) {
      alias = `T${seen.size}`;
      seen.set(mod, alias);
      imports.push(`import type { I${o.kind} as ${alias} } from '${mod}';`);
    }
    lineOf.push(i);
    lines.push(`export const d${i}: ${alias} = ${JSON.stringify(o)};`);
  });
  const source = [...imports, ...lines].join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true, lib: ['lib.es2022.d.ts'] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
  host.fileExists = (f) => f === file || fileExists(f);
  host.readFile = (f) => (f === file ? source : readFile(f));
  const program = ts.createProgram([file], options, host);
  const out: string[][] = objects.map(() => []);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file === undefined || d.start === undefined || d.file.fileName !== file) throw new Error(`strict field check: ${message}`);
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - imports.length;
    const index = lineOf[line];
    if (index === undefined) throw new Error(`strict field check: ${message}`);
    out[index]?.push(message);
  }
  return out;
}
