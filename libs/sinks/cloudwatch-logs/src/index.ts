export * from './cloudwatch-config';
export * from './cloudwatch-batching';
export * from './cloudwatch-errors';
export * from './cloudwatch-sink';
