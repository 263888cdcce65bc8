export * from './sink';
export * from './sink-config';
export * from './http-outcome';
export * from './http-transport';
