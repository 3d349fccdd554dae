const base = require('./jest.config');

/**
 * The PostgreSQL lane: the same integration and end-to-end contract tests as the SQLite lane, each
 * file on its own database copied from a migrated template (test/support/backend.ts), plus the
 * multi-instance tests in test/postgres/. Unit tests touch no database and run in the SQLite lane
 * only; so do the tests of SQLite-only machinery (the apply thread, the write lock, the file's WAL).
 * @type {import('jest').Config}
 */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/postgres/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...require('./test/sqlite-only.json').map((file) => `<rootDir>/${file}`)],
};
