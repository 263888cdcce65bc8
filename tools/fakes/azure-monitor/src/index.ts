/**
 * A loopback fake of the Azure Monitor Logs Ingestion API (a data collection endpoint) together
 * with the Entra ID v2.0 endpoints that @azure/identity's ClientSecretCredential uses, on ONE
 * https port of 127.0.0.1 (self-signed certificate from the openssl CLI; trust `caCert`).
 *
 * Ingestion, as the service does it:
 *   POST /dataCollectionRules/{ruleId}/streams/{streamName}?api-version=2023-01-01
 *   Authorization: Bearer <token for https://monitor.azure.com/.default>
 *   Content-Type: application/json, Content-Encoding: gzip (or none), body: a JSON array of objects
 * → 204 No Content, the rows stored in the stream. Errors carry {"error":{"code","message"}}:
 * 400 InvalidApiVersion / InvalidContentEncoding / InvalidPayload, 401 InvalidAuthenticationToken
 * (missing, foreign or expired token), 403 OperationFailed, 404 NotFound (unknown rule) and
 * InvalidStream (stream not declared by the rule), 413 ContentLengthLimitExceeded (more than
 * 1 MB = 1,048,576 bytes on the wire or after decompression), 415, 429 TooManyRequests with
 * Retry-After, 503 ServiceUnavailable. A call is accepted or refused whole (the service has no
 * item-level results); a multi-call upload can fail in part, one call at a time.
 *
 * Entra ID (the Key Vault fake's authority, reused): GET /<tenant>/v2.0/.well-known/openid-configuration,
 * POST /<tenant>/oauth2/v2.0/token (client_credentials; a wrong secret is 401 invalid_client
 * AADSTS7000215). Faults (constructor `faults`, `addFault`, POST /_fake/faults): see faults.ts,
 * per operation (token / ingest), with skip/times to hit one call of several, plus latencyMs.
 * Control API: GET /_fake/state, GET /_fake/received?rule=&stream=, POST /_fake/reset,
 * POST|DELETE /_fake/faults. Run: node dist/tools/fakes/azure-monitor/main.js --port N --ca-out ca.pem
 */
export * from './fake-server';
export * from './faults';
export { MAX_CALL_BYTES, ingestionError } from './ingestion-errors';
export type { Reply } from './ingestion-errors';
export { MONITOR_RESOURCE, MONITOR_SCOPE } from './monitor-entra';
