export * from './ports';
export * from './proxy-process';
export * from './test-environment';
export * from './tsp-errors';
export * from './cloud-fakes';
export * from './intake-stand-in';
export * from './child-process';
