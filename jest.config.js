// Tests run through swc (no type-check: `npm run lint` runs tsc) so the suite stays fast on 2 cores.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022', keepClassNames: true } }];
const moduleNameMapper = { '^@fleet/([a-z-]+)$': '<rootDir>/libs/$1/src' };
const common = { transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.unit.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs}/**/*.int.spec.ts', '<rootDir>/schemas/**/*.spec.ts'], testTimeout: 60000 },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'], testTimeout: 120000 },
  ],
};
