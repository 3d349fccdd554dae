// Lint: the recommended rules of ESLint and typescript-eslint, plus the promise rules that catch a
// forgotten await; Prettier owns the layout (npm run lint checks both).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'db/migrations/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A let assigned once after a closure that reads it is declared (the closure runs later).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // Tests read answers of many shapes.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // The inspector's pages run in the browser; every other plain script runs in Node.
  { files: ['src/**/public/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ignores: ['src/**/public/**'], languageOptions: { globals: globals.node } },
  { files: ['**/*.js', '**/*.cjs'], ignores: ['src/**/public/**'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
