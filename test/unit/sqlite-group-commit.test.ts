import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Tx } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { ClosureAwaitedOutsideError, GroupCommitter } from '../../src/storage/sqlite/group-commit';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite/storage';
import { tempDir } from '../support/backend';
import fs from 'node:fs';

// The SQLite backend's group committer: many async closures in one IMMEDIATE transaction, each in
// its own savepoint, every promise settled after the commit. The spool relies on two more things:
// waiting for another process's write lock between event-loop turns (so the answer budget's timer
// can fire meanwhile), and dropping a write whose request already went to the spool.

let dir: string;
let storage: SqliteStorage;
let other: BetterSqlite3.Database;

beforeEach(() => {
  dir = tempDir();
  storage = openSqliteStorage({ file: path.join(dir, 'test.db'), busyTimeoutMs: 5 });
  other = new BetterSqlite3(storage.file);
});
afterEach(async () => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const committerWith = (options: ConstructorParameters<typeof GroupCommitter>[1] = {}) => new GroupCommitter(storage.connection, options);
const write = (key: string) => async (tx: Tx) => {
  await tx.run(sql`INSERT INTO meta (key, value) VALUES (${key}, 'v')`);
  return key;
};
const keys = async () => (await storage.read.all<{ key: string }>(sql`SELECT key FROM meta ORDER BY key`)).map((r) => r.key);

describe('batching', () => {
  it('when closures are queued in one turn, then they commit in one transaction, in order, each seeing the ones before', async () => {
    const committer = committerWith();
    const seen: number[] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        committer.run(async (tx) => {
          seen.push((await tx.all(sql`SELECT key FROM meta`)).length);
          return write(key)(tx);
        }),
      ),
    );
    expect(results).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual([0, 1, 2]);
    expect(committer.stats()).toMatchObject({ batches: 1, items: 3 });
    expect(await keys()).toEqual(['a', 'b', 'c']);
  });

  it('when one closure of a batch throws, then only its writes are undone and the others commit', async () => {
    const committer = committerWith();
    const a = committer.run(write('a'));
    const b = committer.run(async (tx) => {
      await write('b')(tx);
      throw new Error('b failed');
    });
    const c = committer.run(write('c'));
    await expect(Promise.all([a, c])).resolves.toEqual(['a', 'c']);
    await expect(b).rejects.toThrow('b failed');
    expect(await keys()).toEqual(['a', 'c']);
  });

  it('when a closure awaits something other than its transaction, then it is rolled back and rejected, and the rest of the batch commits', async () => {
    const committer = committerWith();
    let late: Promise<unknown> = Promise.resolve('not reached');
    let resumed!: () => void;
    const afterTimer = new Promise<void>((resolve) => (resumed = resolve));
    const slow = committer.run(async (tx) => {
      await write('slow')(tx);
      await new Promise((resolve) => setTimeout(resolve, 5));
      late = tx.run(sql`INSERT INTO meta (key, value) VALUES ('late', 'v')`).then(
        () => 'ran',
        (error: Error) => error.message,
      );
      resumed();
      return 'slow';
    });
    const next = committer.run(write('next'));
    await expect(slow).rejects.toBeInstanceOf(ClosureAwaitedOutsideError);
    await expect(next).resolves.toBe('next');
    // The handle was revoked: what the closure did after its turn reaches nothing.
    await afterTimer;
    await expect(late).resolves.toMatch(/transaction has ended/);
    expect(await keys()).toEqual(['next']);
  });

  it('when a read arrives while a batch is open, then it waits for the commit instead of seeing uncommitted rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committer = storage.committer;
    const events: string[] = [];
    // The closure waits on a promise the test resolves within the same turn: still inside the batch.
    const written = committer.run(async (tx) => {
      await write('a')(tx);
      await gate;
      await write('b')(tx);
      return 'ab';
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(committer.inBatch).toBe(true);
    const read = keys().then((rows) => {
      events.push('read');
      return rows;
    });
    void written.then(() => events.push('committed'));
    release();
    // Had the read run at once it would have seen ['a'], written but not committed.
    expect(await read).toEqual(['a', 'b']);
    await written;
    expect(events).toEqual(['committed', 'read']);
  });

  it('when close() is called with writes queued, then they commit before it resolves and later writes are refused', async () => {
    const committer = storage.committer;
    const pending = committer.run(write('a'));
    await committer.close();
    await expect(pending).resolves.toBe('a');
    await expect(committer.run(write('b'))).rejects.toThrow('closed');
    expect(await keys()).toEqual(['a']);
  });
});

describe('another process holding the write lock', () => {
  it('when another connection holds the lock for a while, then the write waits without blocking the event loop and commits after', async () => {
    const committer = committerWith({ busyRetryMs: 5000 });
    other.exec('BEGIN IMMEDIATE');
    const events: string[] = [];
    const pending = committer.run(write('a')).then(() => events.push('committed'));
    await new Promise((r) => setTimeout(r, 50));
    events.push('timer fired while locked');
    other.exec('COMMIT');
    await pending;
    expect(events).toEqual(['timer fired while locked', 'committed']);
    expect(await keys()).toEqual(['a']);
  });

  it('when the lock is held past busyRetryMs, then the write fails with SQLITE_BUSY and later writes still work', async () => {
    const committer = committerWith({ busyRetryMs: 60 });
    other.exec('BEGIN IMMEDIATE');
    await expect(committer.run(write('a'))).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
    other.exec('COMMIT');
    await expect(committer.run(write('b'))).resolves.toBe('b');
    expect(await keys()).toEqual(['b']);
  });

  it('when a write is aborted before its turn, then it never runs and the rest of its batch commits', async () => {
    const committer = committerWith({ busyRetryMs: 5000 });
    const controller = new AbortController();
    other.exec('BEGIN IMMEDIATE');
    const a = committer.run(write('a'));
    const b = committer.run(write('b'), { signal: controller.signal });
    controller.abort(new Error('went to the spool'));
    other.exec('COMMIT');
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('went to the spool');
    expect(await keys()).toEqual(['a']);
  });

  it('when busyRetryMs is not set, then a locked write fails after the connection busy timeout as before', async () => {
    const committer = committerWith();
    other.exec('BEGIN IMMEDIATE');
    await expect(committer.run(write('a'))).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
  });
});
