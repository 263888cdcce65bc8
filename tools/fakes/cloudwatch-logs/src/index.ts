export * from './fake-server';
export * from './faults';
export * from './cwl-errors';
export * from './log-store';
