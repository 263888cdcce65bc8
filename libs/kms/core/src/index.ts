export * from './kms-provider';
export * from './base-provider';
export * from './provider-registry';
export * from './endpoint';
