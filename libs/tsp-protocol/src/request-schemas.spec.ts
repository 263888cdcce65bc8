import Ajv, { ValidateFunction } from 'ajv';
import { buildRequestSchemas, DEFAULT_SCHEMA_LIMITS, RequestSchemas } from './request-schemas';
import { describeAjvError } from './schema-errors';

type Route = keyof RequestSchemas;

function compileAll(limits = DEFAULT_SCHEMA_LIMITS): Record<Route, ValidateFunction> {
  const ajv = new Ajv({ coerceTypes: false });
  const schemas = buildRequestSchemas(limits);
  const out = {} as Record<Route, ValidateFunction>;
  for (const route of Object.keys(schemas) as Route[]) out[route] = ajv.compile(schemas[route]);
  return out;
}

const v = compileAll();

/** Validates and returns the messages describeAjvError makes (empty when valid). */
function problems(route: Route, body: unknown, validators = v): string[] {
  const fn = validators[route];
  return fn(body) ? [] : (fn.errors ?? []).map((e) => describeAjvError(e));
}

// Metadata as each client style sends it.
const nodeStyle = { tenantId: 't1', iclFields: { requestingId: 'svc' } };
const javaStyle = { tenantId: 't1', iclFields: { requestingId: 'svc', dataLabel: 'PII', sourceIp: '127.0.0.1', objectId: 'o', requestId: 'r' }, customFields: { k: 'v' } };
const goStyle = { tenantId: 't1', iclFields: { requestingId: 'svc' }, customFields: null };
const phpRustStyle = {
  tenantId: 't1',
  iclFields: { requestingId: 'svc', dataLabel: null, sourceIp: null, objectId: null, requestId: null, event: null },
  customFields: null,
  timestampMillis: null,
};
const styles = { node: nodeStyle, java: javaStyle, go: goStyle, phpRust: phpRustStyle };

const extras: Record<Route, Record<string, unknown>> = {
  wrap: {},
  batchWrap: { documentIds: ['d1', 'd2'] },
  unwrap: { encryptedDocumentKey: 'CgYKAgECEAU=' },
  batchUnwrap: { edeks: { d1: 'CgYKAgECEAU=' } },
  rekey: { encryptedDocumentKey: 'CgYKAgECEAU=', newTenantId: 't2' },
  derive: { paths: { p: ['d'] }, derivationType: 'sha512', secretType: 'deterministic' },
  securityEvent: { iclFields: { requestingId: 'svc', event: 'USER_LOGIN' }, timestampMillis: 1700000000000 },
  reportOperations: { operations: { 'CgYKAgECEAU=': { wraps: 1, unwraps: 2 } } },
};

function body(route: Route, style: Record<string, unknown>): Record<string, unknown> {
  const extra = extras[route];
  const merged: Record<string, unknown> = { ...style, ...extra };
  if (extra['iclFields'] !== undefined) merged['iclFields'] = { ...(style['iclFields'] as object), ...(extra['iclFields'] as object) };
  return merged;
}

describe('request schemas: valid requests from every client style pass', () => {
  for (const route of Object.keys(extras) as Route[]) {
    for (const [name, style] of Object.entries(styles)) {
      it(`${route} from a ${name}-style client`, () => {
        expect(problems(route, body(route, style))).toEqual([]);
      });
    }
  }

  it('security event sent at top level (Rust) passes', () => {
    expect(problems('securityEvent', { ...phpRustStyle, event: 'USER_LOGIN' })).toEqual([]);
  });

  it('unknown top-level fields (Rust tenantId on EDEKs, timestampMillis) are tolerated', () => {
    expect(problems('unwrap', { ...body('unwrap', nodeStyle), somethingNew: 1, timestampMillis: 5 })).toEqual([]);
  });
});

describe('request schemas: metadata preconditions', () => {
  it('rejects an empty tenantId', () => {
    expect(problems('wrap', { ...nodeStyle, tenantId: '' })).toEqual(['tenantId must NOT have fewer than 1 characters']);
  });

  it('rejects an empty requestingId, naming iclFields.requestingId', () => {
    const p = problems('wrap', { tenantId: 't1', iclFields: { requestingId: '' } });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^iclFields\.requestingId /);
  });

  it('rejects a missing requestingId, naming iclFields.requestingId', () => {
    expect(problems('wrap', { tenantId: 't1', iclFields: {} })).toEqual(['iclFields.requestingId is required']);
  });

  it('rejects missing tenantId and iclFields', () => {
    expect(problems('wrap', { iclFields: { requestingId: 'x' } })).toEqual(['tenantId is required']);
    expect(problems('wrap', { tenantId: 't1' })).toEqual(['iclFields is required']);
  });

  it('rejects an id longer than maxIdLength', () => {
    const limits = { ...DEFAULT_SCHEMA_LIMITS, maxIdLength: 4 };
    const small = compileAll(limits);
    expect(problems('wrap', { ...nodeStyle, tenantId: 'abcd' }, small)).toEqual([]);
    expect(problems('wrap', { ...nodeStyle, tenantId: 'abcde' }, small)).toHaveLength(1);
  });
});

describe('request schemas: wrong types are rejected, never coerced', () => {
  const cases: [string, Route, Record<string, unknown>, string][] = [
    ['numeric tenantId', 'wrap', { ...nodeStyle, tenantId: 5 }, 'tenantId must be string'],
    ['numeric requestingId', 'wrap', { tenantId: 't1', iclFields: { requestingId: 5 } }, 'iclFields.requestingId must be string'],
    ['boolean dataLabel', 'wrap', { tenantId: 't1', iclFields: { requestingId: 's', dataLabel: true } }, 'iclFields.dataLabel must be string or null'],
    ['array iclFields', 'wrap', { tenantId: 't1', iclFields: ['svc'] }, 'iclFields must be object'],
    ['numeric custom field value', 'wrap', { ...nodeStyle, customFields: { k: 1 } }, 'customFields.k must be string'],
    ['string timestampMillis', 'securityEvent', { ...nodeStyle, timestampMillis: '1700000000000' }, 'timestampMillis must be integer or null'],
    ['fractional timestampMillis', 'securityEvent', { ...nodeStyle, timestampMillis: 1.5 }, 'timestampMillis must be integer or null'],
    ['documentIds as string', 'batchWrap', { ...nodeStyle, documentIds: 'd1' }, 'documentIds must be array'],
    ['numeric document id', 'batchWrap', { ...nodeStyle, documentIds: [1] }, 'documentIds.0 must be string'],
    ['numeric EDEK', 'unwrap', { ...nodeStyle, encryptedDocumentKey: 12 }, 'encryptedDocumentKey must be string'],
    ['numeric EDEK in a batch', 'batchUnwrap', { ...nodeStyle, edeks: { d1: 12 } }, 'edeks.d1 must be string'],
    ['string wraps count', 'reportOperations', { ...nodeStyle, operations: { e: { wraps: '1', unwraps: 0 } } }, 'operations.e.wraps must be integer'],
    ['derivation path not a string', 'derive', { ...body('derive', nodeStyle), paths: { p: [1] } }, 'paths.p.0 must be string'],
  ];
  for (const [name, route, b, message] of cases) {
    it(`${route}: ${name}`, () => {
      const before = JSON.stringify(b);
      expect(problems(route, b)).toEqual([message]);
      expect(JSON.stringify(b)).toBe(before); // no coercion in place
    });
  }

  it('rejects an unknown derivationType and secretType, listing the allowed values', () => {
    expect(problems('derive', { ...body('derive', nodeStyle), derivationType: 'md5' })).toEqual([
      "derivationType must be one of 'sha512', 'sha256', 'argon2'",
    ]);
    expect(problems('derive', { ...body('derive', nodeStyle), secretType: 'other' })).toEqual([
      "secretType must be one of 'deterministic', 'search', 'vector'",
    ]);
  });

  it('rejects a negative operations count', () => {
    expect(problems('reportOperations', { ...nodeStyle, operations: { e: { wraps: -1, unwraps: 0 } } })).toHaveLength(1);
  });
});

describe('request schemas: batch limits', () => {
  const limits = { ...DEFAULT_SCHEMA_LIMITS, maxBatchSize: 3 };
  const small = compileAll(limits);
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);
  const edeks = (n: number) => Object.fromEntries(ids(n).map((id) => [id, 'AAAA']));

  it('accepts a batch of exactly maxBatchSize', () => {
    expect(problems('batchWrap', { ...nodeStyle, documentIds: ids(3) }, small)).toEqual([]);
    expect(problems('batchUnwrap', { ...nodeStyle, edeks: edeks(3) }, small)).toEqual([]);
  });

  it('rejects a batch over maxBatchSize', () => {
    expect(problems('batchWrap', { ...nodeStyle, documentIds: ids(4) }, small)).toEqual(['documentIds must NOT have more than 3 items']);
    expect(problems('batchUnwrap', { ...nodeStyle, edeks: edeks(4) }, small)).toEqual(['edeks must NOT have more than 3 properties']);
    expect(problems('derive', { ...body('derive', nodeStyle), paths: { p: ids(4) } }, small)).toHaveLength(1);
  });

  it('rejects an empty batch', () => {
    expect(problems('batchWrap', { ...nodeStyle, documentIds: [] }, small)).toHaveLength(1);
    expect(problems('batchUnwrap', { ...nodeStyle, edeks: {} }, small)).toHaveLength(1);
  });

  it('default limit is 1000 documents', () => {
    expect(problems('batchWrap', { ...nodeStyle, documentIds: ids(1000) })).toEqual([]);
    expect(problems('batchWrap', { ...nodeStyle, documentIds: ids(1001) })).toHaveLength(1);
  });
});

test('a security event timestamp beyond the Date range is refused, naming the field', () => {
  expect(problems('securityEvent', { tenantId: 't1', iclFields: { requestingId: 'svc', event: 'USER_LOGIN' }, timestampMillis: 1e16 })).toEqual([
    'timestampMillis must be <= 8640000000000000',
  ]);
});
