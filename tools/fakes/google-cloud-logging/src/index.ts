export { startFakeGoogleCloudLogging } from './fake-server';
export type { FakeGoogleCloudLogging, FakeGoogleCloudLoggingOptions, FakeServiceAccount, ReceivedRequest } from './fake-server';
export { FAULT_KINDS, parseFault } from './faults';
export type { FakeFault } from './faults';
export type { StoredEntry } from './write-handler';
