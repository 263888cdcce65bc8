export * from './conformance';
export * from './expect-no-secret';
export * from './sink-fixtures';
export * from './config-cases';
export * from './private-ca';
