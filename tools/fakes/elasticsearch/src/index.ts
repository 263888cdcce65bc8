/**
 * A loopback fake of the Elasticsearch `_bulk` API for the elasticsearch sink's tests and for
 * running the logdriver locally. Run: node dist/tools/fakes/elasticsearch/main.js --port 9200
 */
export * from './fake-server';
export * from './faults';
export type { StoredDocument } from './document-store';
export { parseBulk } from './bulk-parser';
export type { BulkItem, BulkParse } from './bulk-parser';
