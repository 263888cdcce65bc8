// Validates Kubernetes objects against the official OpenAPI schemas compiled into the npm
// package kubernetes-models. It is ESM only (its package.json exports only an "import"
// condition), which jest's CommonJS module system cannot load, so kubernetes-manifests.ts runs
// this file with node. Input on stdin: a JSON array of objects. Output on stdout: a JSON array,
// one entry per object: { ok: true } or { ok: false, errors: [...] }.
import { readFileSync } from 'node:fs';

/** kubernetes-models/<group>/<version>/<Kind>, core group as kubernetes-models/v1/<Kind>. */
function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z]+$/.test(kind)) return undefined;
  const parts = apiVersion.split('/');
  if (parts.length === 1) return `kubernetes-models/${parts[0]}/${kind}`;
  if (parts.length === 2) return `kubernetes-models/${parts[0]}/${parts[1]}/${kind}`;
  return undefined;
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const obj of input) {
  const mod = modulePath(obj?.apiVersion, obj?.kind);
  if (mod === undefined) {
    results.push({ ok: false, errors: [`no apiVersion/kind: ${JSON.stringify(obj?.apiVersion)}/${JSON.stringify(obj?.kind)}`] });
    continue;
  }
  let Model;
  try {
    Model = (await import(mod))[obj.kind];
  } catch (e) {
    results.push({ ok: false, errors: [`${obj.apiVersion} ${obj.kind} is not a known Kubernetes kind (${e.message.split('\n')[0]})`] });
    continue;
  }
  if (typeof Model !== 'function') {
    results.push({ ok: false, errors: [`${obj.apiVersion} ${obj.kind} is not a known Kubernetes kind`] });
    continue;
  }
  try {
    new Model(obj).validate();
    results.push({ ok: true });
  } catch (e) {
    const errors = Array.isArray(e.errors) ? e.errors.map((x) => `${x.instancePath || '/'} ${x.message}${x.params ? ' ' + JSON.stringify(x.params) : ''}`) : [String(e.message)];
    results.push({ ok: false, errors });
  }
}
process.stdout.write(JSON.stringify(results));
