export * from './aws-kms-provider';
export * from './aws-kms-config';
export * from './aws-error-map';
