export * from './local-provider';
