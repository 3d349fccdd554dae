import fs from 'node:fs';
import path from 'node:path';
import { openSqlite } from '../../src/storage/sqlite/database';
import { tempDir } from '../support/db';
import { nacho } from '../support/fixtures';
import { startRuntime, type TestRuntime } from '../support/runtime';

// Secrets at rest, SQLite only: the database file holds signing secrets and subscription tokens,
// so it and its -wal and -shm files are readable by the owner alone. (The spool's modes, which hold
// on both backends, and the rest of the secrets checks are in security-secrets.test.ts.)

const mode = (file: string) => fs.statSync(file).mode & 0o777;

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

describe('files at rest', () => {
  it('when the database is created and written, then it and its -wal and -shm files are 0600', async () => {
    rt = await startRuntime();
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const file = rt.database.env.DATABASE_PATH;
    for (const suffix of ['', '-wal', '-shm']) expect([suffix, mode(`${file}${suffix}`)]).toEqual([suffix, 0o600]);
  });

  it('when a database made readable by others is opened, then it is narrowed to 0600', () => {
    const dir = tempDir();
    const file = path.join(dir, 'old.db');
    openSqlite(file).close();
    fs.chmodSync(file, 0o644);
    const reopened = openSqlite(file);
    reopened.exec('CREATE TABLE t (x)');
    expect([mode(file), mode(`${file}-wal`)]).toEqual([0o600, 0o600]);
    reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
