export { googleCloudLoggingSinkPlugin, GoogleCloudLoggingSink } from './google-cloud-logging-sink';
export { gclConfigProblems, DEFAULT_LOG_ID } from './gcl-config';
export type { GclSettingsInput, GclCredentialsInput, Severity } from './gcl-config';
