import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

// The checkpointer: a thread that only copies the WAL back into the database file. A checkpoint
// writes megabytes and syncs the file; run by a connection that also commits (SQLite's default,
// after the commit that crosses the threshold), it stalls that connection's next answers and
// applies for as long. PASSIVE never takes the write lock, so here it delays nobody.

const { databasePath, everyMs } = workerData as { databasePath: string; everyMs: number };
const db = new BetterSqlite3(databasePath, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('wal_autocheckpoint = 0');

// Under constant writes from two connections a PASSIVE checkpoint never finds the log fully
// copied at the moment a writer starts, so the log is never reset and grows without end. Once it
// holds this many pages, a RESTART checkpoint briefly holds new writers back (they wait for the
// lock as for any commit) until the log is copied, and writers start again from its beginning.
const RESTART_AFTER_PAGES = 4000;
// A log reset also shrinks the file back to this size instead of keeping its largest size.
db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);

const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (passive !== undefined && passive.log > RESTART_AFTER_PAGES) db.pragma('wal_checkpoint(RESTART)');
  } catch {
    // busy or being closed: the next tick tries again
  }
}, everyMs);

parentPort?.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
