// ESLint (flat config): @eslint/js recommended everywhere, typescript-eslint recommended for the TypeScript
// (lib/, test/, the declarations in types/). `npm run lint`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'build/', 'build-*/', 'prebuilds/', 'node_modules/', 'coverage/', 'docs/api/', 'demo-out/', '.carry/', '.bench/', '.venv-py/', 'reports/', '.stryker-tmp/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      // `let [a, b] = …` where only b is reassigned is fine (lib/cli/args.ts).
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: globals.jest },
  },
  {
    // Node scripts (CommonJS) and config files.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: {
      // Idioms the scripts use: `catch (_)` for an ignored error, `({ dropped, ...rest }) => rest` to omit a key.
      'no-unused-vars': ['error', { caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
