export * from './security-event';
export * from './event-queue';
export * from './event-acknowledgement';
export * from './stdout-channel';
export * from './http-channel';
export * from './intake-contract';
export * from './stored-event';
