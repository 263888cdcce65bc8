export * from './settings';
export * from './service-lifecycle';
