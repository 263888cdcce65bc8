export * from './config-source';
export * from './config-loader';
