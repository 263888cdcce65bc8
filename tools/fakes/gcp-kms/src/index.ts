export { startFakeGcpKms } from './fake-server';
export type { FakeGcpKms, FakeGcpKmsOptions, FakeServiceAccount, FakeStats } from './fake-server';
export { FAULTS } from './faults';
export type { Fault, FaultTarget } from './faults';
export type { VersionState } from './key-store';
export { crc32c } from './crc32c';
export { TokenAuthority } from './oauth';
