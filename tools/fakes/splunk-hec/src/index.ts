/**
 * A loopback fake of Splunk HTTP Event Collector, on 127.0.0.1 (http, or https with a
 * self-signed certificate from @tsp/fake-azure-keyvault's generateLoopbackCertificate).
 *
 * Wire protocol, as HEC documents it: POST /services/collector/event (also /services/collector
 * and /event/1.0) with `Authorization: Splunk <token>`; the body is JSON envelopes one after
 * another ({"time","host","source","sourcetype","index","event"}), optionally gzip-encoded.
 * Answers: 200 {"text":"Success","code":0}; 401 code 2 (no token) / 3 (bad scheme); 403 code 4
 * (unknown token) / 1 (disabled); 400 code 5 (no data), 6 (invalid data format), 7 (incorrect
 * index), 12/13 (event missing/blank) with invalid-event-number, the events before it indexed;
 * 503 code 9 (busy, Retry-After when asked); 500 code 8; 413 over max_content_length.
 * Indexer acknowledgement per token (channel header, ackId, POST /services/collector/ack).
 *
 * Faults (options.faults, addFault, POST /_fake/faults): busy, internal, invalid-event,
 * too-large, drop, hang, and latencyMs, per request with `times`. GET|DELETE /_fake/received.
 * Run: node dist/tools/fakes/splunk-hec/main.js --port 8088 [--token T] [--tls --ca-out FILE]
 */
export * from './fake-server';
export * from './faults';
export * from './hec-answers';
export { splitHecBody } from './hec-body';
export type { SplitBody } from './hec-body';
