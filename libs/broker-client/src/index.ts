export * from './config-source';
export * from './config-loader';
export * from './sa-signature';
export * from './http-secret-creator';
