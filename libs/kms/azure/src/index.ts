export { azureKmsFactory, createAzureKmsFactory, AzureKmsProvider } from './azure-provider';
export type { AzureProviderOptions } from './azure-provider';
export { azureConfigProblems, DEFAULT_AUTHORITY_HOST } from './azure-config';
