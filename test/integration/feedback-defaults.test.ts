import BetterSqlite3 from 'better-sqlite3';
import { ensureDefaults, ensureDefaultsNow } from '../../src/feedback';
import { GroupCommitter } from '../../src/storage/sqlite/group-commit';
import { freshDatabase } from '../support/db';

// The default project and channel the quick start relies on, created at start-up.

let database: ReturnType<typeof freshDatabase>;
let committer: GroupCommitter;
const T0 = Date.UTC(2026, 2, 1);

beforeEach(() => {
  database = freshDatabase();
  database.sqlite.pragma('busy_timeout = 0');
  committer = new GroupCommitter(database);
});
afterEach(() => {
  committer.close();
  database.remove();
});

it('when defaults are ensured twice, then the same project and channels come back', () => {
  const first = ensureDefaultsNow(committer, T0, { recordRefunds: true });
  expect(first).toEqual({ projectId: 1, channelId: 1, refundsChannelId: 2 });
  expect(ensureDefaultsNow(committer, T0 + 1, { recordRefunds: true })).toEqual(first);
});

it('when the default project does not record refunds, then it has no Refunds channel', () => {
  expect(ensureDefaultsNow(committer, T0, { recordRefunds: false })).toEqual({ projectId: 1, channelId: 1, refundsChannelId: null });
});

it('when the default project was renamed, then it is still the default', () => {
  const first = ensureDefaultsNow(committer, T0, { recordRefunds: false });
  database.sqlite.prepare("UPDATE projects SET name = 'My app'").run();
  expect(database.db.transaction((tx) => ensureDefaults(tx, T0, { recordRefunds: false }))).toEqual(first);
});

it('when another process holds the write lock for longer than allowed, then start-up fails naming the lock', () => {
  const other = new BetterSqlite3(database.file);
  try {
    other.prepare('BEGIN IMMEDIATE').run();
    expect(() => ensureDefaultsNow(committer, T0, { recordRefunds: true, busyWaitMs: 30 })).toThrow(/stayed locked/);
    other.prepare('ROLLBACK').run();
    expect(ensureDefaultsNow(committer, T0, { recordRefunds: true, busyWaitMs: 30 }).projectId).toBe(1);
  } finally {
    other.close();
  }
});
