import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/backend';
import { E2E_JWT_SECRET, E2E_WEBHOOK_KEY, ensureBuilt, PROJECT_ROOT, serverEnv } from '../support/server';

// On PostgreSQL the SQLite backend is not loaded at all (the driver, the apply thread, the
// checkpointer), and no SQLite file appears where DATABASE_PATH points.

const run = promisify(execFile);
let database: TestDatabase;

beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase('postgres');
}, 120_000);
afterAll(() => database.drop());

it('when the runtime starts on PostgreSQL, then no SQLite module is loaded and no SQLite file is created', async () => {
  const probe = `
    const { loadConfig } = require('./dist/src/config');
    const { resolveSecrets } = require('./dist/src/secrets');
    const { buildRuntime } = require('./dist/src/runtime');
    const pino = require('pino');
    buildRuntime(resolveSecrets(loadConfig()).config, { logger: pino({ level: 'silent' }), applyThread: true }).then(async (rt) => {
      const loaded = Object.keys(require.cache).filter((f) => /better-sqlite3|storage[\\\\/]sqlite/.test(f));
      await rt.close(1000);
      process.stdout.write(JSON.stringify({ backend: rt.storage.backend, loaded }));
    });`;
  const env = serverEnv(database.dir, 0, {
    DATABASE_URL: database.url!,
    NACHOCODE_WEBHOOK_KEYS: E2E_WEBHOOK_KEY,
    JWT_SECRET: E2E_JWT_SECRET,
    APPLY_THREAD: 'true',
  });
  const { stdout } = await run(process.execPath, ['-e', probe], { cwd: PROJECT_ROOT, env, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ backend: 'postgres', loaded: [] });
  expect(fs.existsSync(path.join(database.dir, 'iaphook.db'))).toBe(false);
});
