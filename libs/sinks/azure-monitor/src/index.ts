export { AzureMonitorSink, azureMonitorSinkPlugin } from './azure-monitor-sink';
export { azureMonitorConfigProblems, MONITOR_AUDIENCES } from './azure-monitor-config';
export type { AzureMonitorCredentials, AzureMonitorSettings, MonitorAudience } from './azure-monitor-config';
export { toMonitorRow } from './monitor-row';
export type { MonitorRow } from './monitor-row';
