export * from './repository';
export * from './repository-validation';
export * from './secret-box';
export * from './sqlite-repository';
export * from './repository-events';
export * from './postgres-repository';
