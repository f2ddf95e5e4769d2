/** @type {import('jest').Config} */
const moduleNameMapper = {
  '^@memory/telemetry/(.*)$': '<rootDir>/libs/telemetry/src/$1',
  '^@memory/([a-z-]+)$': '<rootDir>/libs/$1/src',
};
// NestJS 12 ships ES modules only. Node runs them through require(esm), but Jest's module
// runtime cannot, so Jest compiles those packages to CommonJS like the project's own code.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  '^.+\\.js$': [
    'babel-jest',
    {
      babelrc: false,
      configFile: false,
      plugins: [
        ['babel-plugin-transform-import-meta', { module: 'ES6' }],
        '@babel/plugin-transform-modules-commonjs',
      ],
    },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|file-type|uid)/)'];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/test/**/*.spec.ts',
      ],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
    },
    {
      // Against the real engines: the global setup starts the stack, builds the services and
      // migrates the test database once; test files run one at a time.
      displayName: 'e2e',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Each file gets a database of its own, copied from the migrated template.
      setupFilesAfterEnv: ['<rootDir>/test/support/file-database.ts'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
      slowTestThreshold: 30,
    },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 120000,
  maxWorkers: 1,
};
