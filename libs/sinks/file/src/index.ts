export * from './file-sink';
