export * from './fake-server';
export * from './fake-keys';
export * from './faults';
export * from './aws-errors';
export * from './aws-json-answer';
export { verifySigV4, computeSignature, parseAuthorization, signRequest } from './sigv4';
export type { SigV4Credential, SignableRequest, ParsedAuthorization } from './sigv4';
export type { FakeFileConfig } from './control-schemas';
