import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Storage } from '../../src/storage/port';
import { adminQuery, databaseUrl, DB_PREFIX, RUN_PID_ENV, TEST_BACKEND, tempDir, type TestDatabase } from '../support/backend';
import { sql, startRuntime } from '../support/runtime';
import { adminApi } from './outbound-support';

// An install from before channels declared fields, upgraded: its migration gives every existing
// channel message and userEmail, so its clients send and receive exactly what they did.

const MIGRATIONS = path.join(__dirname, '..', '..', 'db', 'migrations', TEST_BACKEND);
const T0 = Date.UTC(2026, 0, 10);

/** The committed migrations up to (not including) the one that added channel fields. */
function migrationsBeforeChannelFields(): string {
  const dir = tempDir('iaphook-migrations-');
  fs.cpSync(MIGRATIONS, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_channel_fields'));
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

/** An empty database on the backend under test (nothing migrated yet). */
async function emptyDatabase(): Promise<TestDatabase> {
  const dir = tempDir();
  const env = { DATABASE_PATH: path.join(dir, 'iaphook.db') };
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  if (TEST_BACKEND === 'sqlite') return { backend: 'sqlite', dir, env, url: null, drop: async () => removeDir() };
  const name = `${DB_PREFIX}${process.env[RUN_PID_ENV] ?? process.pid}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = databaseUrl(name);
  return {
    backend: 'postgres',
    dir,
    env: { ...env, DATABASE_URL: url },
    url,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      removeDir();
    },
  };
}

async function openWithMigrations(database: TestDatabase, migrationsFolder: string): Promise<Storage> {
  if (database.url !== null) {
    const { PostgresStorage } = await import('../../src/storage/postgres/storage');
    return PostgresStorage.open({ url: database.url, poolSize: 2, migrationsFolder });
  }
  const { openSqliteStorage } = await import('../../src/storage/sqlite/storage');
  return openSqliteStorage({ file: database.env.DATABASE_PATH, busyTimeoutMs: 5000, migrationsFolder });
}

it('when an install from before channel fields is migrated, then its channels declare message and userEmail and its feedback reads as before', async () => {
  const database = await emptyDatabase();
  const old = migrationsBeforeChannelFields();
  try {
    const before = await openWithMigrations(database, old);
    try {
      await before.write(async (tx) => {
        await tx.run(sql`INSERT INTO projects (id, name, record_refunds, created_at, updated_at) VALUES (${7}, ${'Shop'}, ${false}, ${T0}, ${T0})`);
        await tx.run(sql`INSERT INTO channels (id, project_id, name, created_at, updated_at) VALUES (${8}, ${7}, ${'Web'}, ${T0}, ${T0})`);
        await tx.run(sql`INSERT INTO feedbacks (id, project_id, channel_id, message, user_email, created_at, updated_at)
          VALUES (${9}, ${7}, ${8}, ${'it was like this'}, ${'old@example.com'}, ${T0}, ${T0})`);
      });
    } finally {
      await before.close();
    }

    const rt = await startRuntime({}, { database, startWorker: false });
    try {
      const api = adminApi(rt);
      expect((await api.get('/projects/7/channels/8').expect(200)).body.fields).toEqual([
        { key: 'message', type: 'text', required: true },
        { key: 'userEmail', type: 'keyword', required: false, email: true },
      ]);
      expect((await api.get('/projects/7/channels/8/feedbacks/9').expect(200)).body).toMatchObject({
        message: 'it was like this',
        userEmail: 'old@example.com',
      });
      await api.post('/projects/7/channels/8/feedbacks', { message: 'as always', userEmail: 'a@example.com' }).expect(201);
      await api.post('/projects/7/channels/8/feedbacks', { message: 'x', userEmail: 'nope' }).expect(422);
      expect(await rt.rows(sql`SELECT id, data FROM feedbacks WHERE id = ${9}`)).toEqual([{ id: 9, data: null }]);
    } finally {
      await rt.close();
    }
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
    await database.drop();
  }
});
