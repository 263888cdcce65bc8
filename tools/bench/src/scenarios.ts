import { isRecord } from './proxy-launcher';

/** Which server a scenario drives. */
export type Target = 'baseline' | 'proxy' | 'proxy-no-events' | 'proxy-logdriver' | 'proxy-logdriver-apart' | 'proxy-logdriver-strict' | 'proxy-cloud' | 'proxy-workers';

export interface Scenario {
  id: string;
  label: string;
  target: Target;
  path: string;
  tenantId: string;
  body: string;
  /** Documents one request wraps (batch size), for documents/s. */
  docsPerRequest: number;
  /** Checks one response of this scenario; returns a problem or undefined. */
  check(status: number, body: unknown): string | undefined;
}

export const LEASED_TENANT = 'demo-tenant-2';
export const UNLEASED_TENANT = 'demo-tenant-1';
export const BATCH_SIZE = 100;
export const WRAP_PATH = '/api/1/document/wrap';
export const UNWRAP_PATH = '/api/1/document/unwrap';
export const BATCH_WRAP_PATH = '/api/1/document/batch-wrap';

/** Request metadata as the Node TSC sends it (absent optional fields omitted). */
export function requestBody(tenantId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tenantId,
    iclFields: { requestingId: 'bench-service', dataLabel: 'PII', requestId: 'bench-request' },
    customFields: { bench: 'tsp' },
    ...extra,
  });
}

export function apiHeaders(apiKey: string): Record<string, string> {
  return { 'Content-Type': 'application/json', Authorization: `cmk ${apiKey}` };
}

/** One POST with fetch: status and parsed JSON body (or the text when not JSON). */
export async function postOnce(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

function is32ByteB64(v: unknown): boolean {
  return typeof v === 'string' && Buffer.from(v, 'base64').length === 32;
}

function describe(status: number, body: unknown): string {
  return `HTTP ${status} ${JSON.stringify(body).slice(0, 200)}`;
}

export function checkWrap(status: number, body: unknown): string | undefined {
  if (status !== 200 || !isRecord(body) || !is32ByteB64(body['dek']) || typeof body['edek'] !== 'string') {
    return `wrap: expected 200 {dek, edek}, got ${describe(status, body)}`;
  }
  return undefined;
}

function checkBatch(status: number, body: unknown): string | undefined {
  if (status !== 200 || !isRecord(body) || !isRecord(body['keys']) || !isRecord(body['failures'])) {
    return `batch-wrap: expected 200 {keys, failures}, got ${describe(status, body)}`;
  }
  const n = Object.keys(body['keys']).length;
  const f = Object.keys(body['failures']).length;
  if (n !== BATCH_SIZE || f !== 0) return `batch-wrap: expected ${BATCH_SIZE} keys and no failures, got ${n} keys and ${f} failures`;
  return undefined;
}

/** The unwrap check also proves the proxy returned the DEK that the wrap handed out. */
function checkUnwrap(expectedDek: string): Scenario['check'] {
  return (status, body) => {
    if (status !== 200 || !isRecord(body) || !is32ByteB64(body['dek'])) return `unwrap: expected 200 {dek}, got ${describe(status, body)}`;
    if (body['dek'] !== expectedDek) return 'unwrap: the DEK differs from the one the wrap returned';
    return undefined;
  };
}

function checkBaseline(status: number, body: unknown): string | undefined {
  return status === 200 && isRecord(body) ? undefined : `baseline: expected 200 JSON, got ${describe(status, body)}`;
}

/** A leased EDEK and its DEK, from one wrap call, for the unwrap scenario. */
export interface WrappedKey {
  dek: string;
  edek: string;
}

export async function wrapOnce(proxyUrl: string, apiKey: string, tenantId: string): Promise<WrappedKey> {
  const r = await postOnce(`${proxyUrl}${WRAP_PATH}`, apiHeaders(apiKey), requestBody(tenantId));
  const problem = checkWrap(r.status, r.body);
  if (problem !== undefined || !isRecord(r.body)) throw new Error(problem ?? 'wrap failed');
  return { dek: String(r.body['dek']), edek: String(r.body['edek']) };
}

export function baselineScenario(id: string, label: string): Scenario {
  // The same body and headers as the leased wrap: only the server differs.
  return { id, label, target: 'baseline', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkBaseline };
}

/** The proxy scenarios, in the order they run. */
export function proxyScenarios(leasedKey: WrappedKey): Scenario[] {
  const ids = Array.from({ length: BATCH_SIZE }, (_, i) => `doc-${String(i).padStart(4, '0')}`);
  return [
    { id: 'leased-wrap', label: '(b) leased wrap, demo-tenant-2', target: 'proxy', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkWrap },
    {
      id: 'leased-unwrap',
      label: '(c) leased unwrap, demo-tenant-2',
      target: 'proxy',
      path: UNWRAP_PATH,
      tenantId: LEASED_TENANT,
      body: requestBody(LEASED_TENANT, { encryptedDocumentKey: leasedKey.edek }),
      docsPerRequest: 1,
      check: checkUnwrap(leasedKey.dek),
    },
    { id: 'unleased-wrap', label: '(d) unleased wrap (local KMS), demo-tenant-1', target: 'proxy', path: WRAP_PATH, tenantId: UNLEASED_TENANT, body: requestBody(UNLEASED_TENANT), docsPerRequest: 1, check: checkWrap },
    {
      id: 'batch-wrap',
      label: `(e) batch-wrap x${BATCH_SIZE}, demo-tenant-2`,
      target: 'proxy',
      path: BATCH_WRAP_PATH,
      tenantId: LEASED_TENANT,
      body: requestBody(LEASED_TENANT, { documentIds: ids }),
      docsPerRequest: BATCH_SIZE,
      check: checkBatch,
    },
    { id: 'leased-wrap-no-events', label: '(f) leased wrap, TSP_EVENT_OUTPUT=none', target: 'proxy-no-events', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkWrap },
    { id: 'leased-wrap-logdriver', label: "(f') leased wrap, events to the logdriver (file sink), same core", target: 'proxy-logdriver', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkWrap },
    { id: 'leased-wrap-logdriver-apart', label: "(f*) as (f'), logdriver on the load generator's core", target: 'proxy-logdriver-apart', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkWrap },
    { id: 'leased-wrap-strict', label: "(f'') as (f'), TSP_AUDIT_MODE=strict", target: 'proxy-logdriver-strict', path: WRAP_PATH, tenantId: LEASED_TENANT, body: requestBody(LEASED_TENANT), docsPerRequest: 1, check: checkWrap },
  ];
}
