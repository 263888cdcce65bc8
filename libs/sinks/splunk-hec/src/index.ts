export * from './splunk-hec-sink';
export * from './splunk-hec-config';
export { buildHecBody, hecTime } from './hec-request';
export type { HecMetadata } from './hec-request';
export { classifyHecAnswer, parseHecReply } from './hec-outcome';
