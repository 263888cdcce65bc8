export * from './sink';
export * from './sink-config';
export * from './http-outcome';
export * from './http-transport';
export * from './scrub-outcome';
export * from './http-send';
export * from './http-sink';
