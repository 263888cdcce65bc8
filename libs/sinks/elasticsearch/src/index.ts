export * from './elasticsearch-sink';
export * from './elasticsearch-config';
export { bulkBody } from './bulk-body';
export { classifyBulkResponse } from './bulk-response';
