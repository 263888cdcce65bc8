export * from './stdout-sink';
