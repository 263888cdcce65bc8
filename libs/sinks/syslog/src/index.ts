export * from './syslog-config';
export * from './syslog-message';
export * from './syslog-connection';
export * from './syslog-sink';
