import type { ErrorObject } from 'ajv';

/** Turns an ajv error into a message that names the field (dotted path) and never its value. */
export function describeAjvError(e: ErrorObject, root = 'body'): string {
  const path = e.instancePath === '' ? root : e.instancePath.slice(1).replace(/\//g, '.');
  switch (e.keyword) {
    case 'required':
      return `${path === root ? '' : path + '.'}${String(e.params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${path} has unknown property '${String(e.params.additionalProperty)}'`;
    case 'type':
      return `${path} must be ${String(e.params.type).replace(',', ' or ')}`;
    case 'enum':
      return `${path} must be one of ${(e.params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ')}`;
    default:
      return `${path} ${e.message ?? 'is invalid'}`;
  }
}
