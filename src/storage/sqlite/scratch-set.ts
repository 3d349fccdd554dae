import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * A set of strings kept on disk in a throw-away SQLite file rather than in memory. The reconcile
 * CLI keeps the identities seen in a file here: "present in the ledger but not in the file" needs
 * every key of the file, and a Set of 100,000 keys (or ten million) would make memory grow with the
 * file. With a 2 MB page cache the footprint stays flat whatever the size. This is scratch space,
 * not the iaphook database (whichever backend that is), so it is written directly (no journal, no
 * fsync, no storage port) and deleted on close.
 */
export class DiskStringSet {
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement<[string]>;
  private readonly select: BetterSqlite3.Statement<[string]>;
  private readonly addAll: (keys: string[]) => boolean[];

  private constructor(private readonly dir: string) {
    this.db = new BetterSqlite3(path.join(dir, 'set.db'));
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -2048');
    this.db.exec('CREATE TABLE members (key TEXT PRIMARY KEY) WITHOUT ROWID');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO members (key) VALUES (?)');
    // One statement per list of keys instead of one per key: json_each turns the list into rows.
    this.select = this.db.prepare('SELECT key FROM members WHERE key IN (SELECT value FROM json_each(?))').pluck();
    this.addAll = this.db.transaction((keys: string[]) => keys.map((key) => this.insert.run(key).changes > 0));
  }

  /** A new, empty set in its own temporary directory. */
  static open(prefix = 'iaphook-scratch-'): DiskStringSet {
    return new DiskStringSet(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  }

  /** Adds the keys in order; true for each key not seen before (a repeat within the list is false). */
  addMany(keys: string[]): boolean[] {
    return this.addAll(keys);
  }

  /** Which of these keys are in the set. */
  seenAmong(keys: string[]): Set<string> {
    return new Set(this.select.all(JSON.stringify(keys)) as string[]);
  }

  /** Closes the file and deletes it. */
  close(): void {
    if (this.db.open) this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
