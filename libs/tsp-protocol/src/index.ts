export * from './error-codes';
export * from './tsp-error';
export * from './edek-codec';
export * from './request-schemas';
export * from './response-schemas';
export * from './event-names';
export * from './schema-errors';
