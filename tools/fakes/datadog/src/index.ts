/**
 * A loopback fake of the Datadog Logs intake (POST /api/v2/logs) for the datadog sink's tests
 * and for running the logdriver locally. Run: node dist/tools/fakes/datadog/main.js --port 8126
 */
export * from './fake-server';
export * from './faults';
export { MAX_ENTRIES, MAX_LOG_BYTES, MAX_PAYLOAD_BYTES } from './intake-payload';
export type { StoredLog } from './intake-payload';
