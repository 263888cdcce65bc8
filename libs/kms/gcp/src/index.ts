export { gcpKmsFactory, createGcpKmsFactory, GcpKmsProvider, gcpAad, GCP_AAD_LABEL, DEFAULT_GCP_TIMEOUT_MS } from './gcp-provider';
export type { GcpKmsFactoryOptions } from './gcp-provider';
export { gcpConfigProblems, GOOGLE_TOKEN_URI } from './gcp-config';
export { crc32c } from './crc32c';
