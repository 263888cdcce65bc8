export * from './random-pool';
export * from './lru-cache';
export * from './single-flight';
export * from './tenant-registry';
export * from './lease-manager';
export * from './key-service';
export * from './derive-service';
export * from './leased-gcm';
