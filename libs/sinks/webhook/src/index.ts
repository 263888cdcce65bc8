export * from './webhook-config';
export * from './webhook-signature';
export * from './webhook-response';
export * from './webhook-sink';
