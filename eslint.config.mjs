// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vendorClients = ['kafkajs', 'pg', 'mqtt', '@eventstore/db-client'].map((name) => ({
  name,
  message: 'Only adapter files import infrastructure clients; use the port from libs/.',
  allowTypeImports: true,
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.local/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // Nest decorators and Jest matchers return `any`; these rules fight the frameworks, not bugs.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/require-await': 'off',
      // Passing methods of kafkajs/pg/avsc objects around is the norm there and safe.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Boundaries: apps never import other apps; libraries through their root alias only.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: vendorClients,
          patterns: [
            {
              group: ['**/apps/*', '../../../*'],
              message: 'Apps never import other apps; share code through libs/.',
            },
            {
              group: ['@fleet/*/*', '**/libs/*/src/*'],
              message: 'Import a library through its root alias, e.g. @fleet/event-store.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters, infrastructure wiring, tests and benchmarks may talk to the clients directly.
    files: [
      'libs/event-store/src/postgres/**',
      'libs/event-store/src/eventstoredb/**',
      'libs/messaging/src/kafka/**',
      'libs/messaging/src/inbox/**',
      'libs/messaging/src/mqtt/**',
      'apps/simulator/src/mqtt-link.ts',
      'libs/platform/src/infrastructure.providers.ts',
      'libs/testing/**',
      'test/support/**',
      '**/*.spec.ts',
      '**/*.conformance.ts',
      'bench/**',
      'scripts/**',
    ],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // The domain (files at the root of a feature folder) is pure: no framework, no I/O.
    files: ['apps/*/src/*/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.module.ts', 'apps/fleetctl/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'kafkajs',
                'pg',
                'mqtt',
                '@eventstore/*',
                'node:*',
                '@fleet/event-store',
                '@fleet/messaging',
                '@fleet/platform',
                '@fleet/observability',
                '@fleet/auth',
              ],
              message:
                'Domain code is pure: no framework, no I/O. Move this to a use-case folder or an adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**', 'bench/**', '**/*.conformance.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
