export * from './fake-server';
export * from './faults';
export { checkSignature } from './signature-check';
export type { SignatureCheck } from './signature-check';
