export * from './keys';
export * from './seal';
export * from './tenant-config';
export * from './config-document';
export * from './service-account-file';
