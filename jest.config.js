/** One jest configuration for the whole workspace; path aliases come from tsconfig.base.json. */
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = `<rootDir>/${target}`;
}

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
    // The Node Tenant Security Client requires @noble/ciphers and fastify's inject (light-my-request)
    // requires cookie 2, both ESM only; Node 20 loads them natively (require(esm)) but jest's
    // module system cannot, so jest compiles them to CJS.
    '^.+/node_modules/(@noble|cookie)/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@noble|cookie)/)'],
  moduleNameMapper,
  globalSetup: '<rootDir>/tools/test/global-setup.js',
  setupFiles: ['<rootDir>/tools/test/jest-env.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
