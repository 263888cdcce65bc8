export * from './datadog-sink';
export * from './datadog-config';
export { intakeBody } from './intake-body';
export type { LogAttributes } from './intake-body';
