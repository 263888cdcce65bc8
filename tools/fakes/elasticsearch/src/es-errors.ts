/**
 * Error bodies as Elasticsearch writes them: a whole-request error is
 * {"error":{"root_cause":[{type,reason}],"type","reason"},"status"}; an item of a _bulk answer
 * carries {"type","reason"} (plus index details) under `error`.
 */
export interface EsError {
  type: string;
  reason: string;
  [extra: string]: unknown;
}

/** Body of a whole-request error answer. */
export function errorBody(status: number, error: EsError): string {
  return JSON.stringify({ error: { root_cause: [error], ...error }, status });
}

export const REALM_HEADER = 'Basic realm="security", charset="UTF-8", ApiKey';

export function missingCredentials(uri: string): EsError {
  return { type: 'security_exception', reason: `missing authentication credentials for REST request [${uri}]`, header: { 'WWW-Authenticate': [REALM_HEADER] } };
}

export function badBasicCredentials(user: string, uri: string): EsError {
  return { type: 'security_exception', reason: `unable to authenticate user [${user}] for REST request [${uri}]`, header: { 'WWW-Authenticate': [REALM_HEADER] } };
}

export function badApiKey(): EsError {
  return {
    type: 'security_exception',
    reason: 'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
    additional_unsuccessful_credentials: 'API key: unable to find apikey with id',
    header: { 'WWW-Authenticate': [REALM_HEADER] },
  };
}

export function rejectedExecution(what: string): EsError {
  return {
    type: 'es_rejected_execution_exception',
    reason: `rejected execution of ${what} on EsThreadPoolExecutor[name = fake-es-0/write, queue capacity = 10000, task execution rejected]`,
  };
}

export function clusterBlocked(): EsError {
  return { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];' };
}

export function mapperParsing(id: string): EsError {
  return { type: 'document_parsing_exception', reason: `[1:2] failed to parse: document with id '${id}' could not be indexed (injected fault)` };
}

export function badRequest(type: string, reason: string): EsError {
  return { type, reason };
}
