export * from './settings';
export * from './service-lifecycle';
export * from './service-account-env';
export * from './cpu-limit';
