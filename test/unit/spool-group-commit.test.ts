import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { freshDatabase } from '../support/db';
import { GroupCommitter } from '../../src/storage/sqlite/group-commit';

// The spool relies on two things from the group committer: waiting for another process's write
// lock between event-loop turns (so the answer budget's timer can fire meanwhile), and dropping a
// write whose request already went to the spool.

describe('GroupCommitter with busyRetryMs', () => {
  let database: ReturnType<typeof freshDatabase>;
  let other: BetterSqlite3.Database;

  beforeEach(() => {
    database = freshDatabase();
    database.sqlite.pragma('busy_timeout = 5');
    other = new BetterSqlite3(database.file);
  });
  afterEach(() => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    database.remove();
  });

  const write = (key: string) => (db: typeof database.db) => {
    db.run(sql`INSERT INTO meta (key, value) VALUES (${key}, 'v')`);
    return key;
  };
  const keys = () => (database.sqlite.prepare('SELECT key FROM meta ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);

  it('when another connection holds the lock for a while, then the write waits without blocking the event loop and commits after', async () => {
    const committer = new GroupCommitter(database, { busyRetryMs: 5000 });
    other.exec('BEGIN IMMEDIATE');
    const events: string[] = [];
    const pending = committer.run(write('a')).then(() => events.push('committed'));
    await new Promise((r) => setTimeout(r, 50));
    events.push('timer fired while locked');
    other.exec('COMMIT');
    await pending;
    expect(events).toEqual(['timer fired while locked', 'committed']);
    expect(keys()).toEqual(['a']);
  });

  it('when the lock is held past busyRetryMs, then the write fails with SQLITE_BUSY and later writes still work', async () => {
    const committer = new GroupCommitter(database, { busyRetryMs: 60 });
    other.exec('BEGIN IMMEDIATE');
    await expect(committer.run(write('a'))).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
    other.exec('COMMIT');
    await expect(committer.run(write('b'))).resolves.toBe('b');
    expect(keys()).toEqual(['b']);
  });

  it('when a write is aborted before its turn, then it never runs and the rest of its batch commits', async () => {
    const committer = new GroupCommitter(database, { busyRetryMs: 5000 });
    const controller = new AbortController();
    other.exec('BEGIN IMMEDIATE');
    const a = committer.run(write('a'));
    const b = committer.run(write('b'), { signal: controller.signal });
    controller.abort(new Error('went to the spool'));
    other.exec('COMMIT');
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('went to the spool');
    expect(keys()).toEqual(['a']);
  });

  it('when busyRetryMs is not set, then a locked write fails after the connection busy timeout as before', async () => {
    const committer = new GroupCommitter(database);
    other.exec('BEGIN IMMEDIATE');
    await expect(committer.run(write('a'))).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
  });
});
