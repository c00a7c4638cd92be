// Tests run through swc (no type-check: `npm run lint` runs tsc) so the suite stays fast on 2 cores.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];
const moduleNameMapper = { '^@fleet/([a-z-]+)$': '<rootDir>/libs/$1/src' };
// jose 6 ships ESM only; Jest on Node 20 cannot require it, so swc turns it into CommonJS too.
const common = {
  transform: { '^.+\\.ts$': swc, '^.+/node_modules/jose/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

/** @type {import('jest').Config} */
module.exports = {
  // Integration and e2e tests wait on real brokers; unit tests finish in milliseconds anyway.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int.spec.ts', '<rootDir>/schemas/**/*.spec.ts'],
      // The EventStoreDB adapter runs its conformance suite only where a server is reachable.
      testPathIgnorePatterns: process.env.EVENTSTORE_URL
        ? ['/node_modules/']
        : ['/node_modules/', '/eventstoredb/'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'] },
  ],
};
