import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The identities seen in the file, kept on disk in a throw-away SQLite file rather than in a Set:
 * "present in the ledger but not in the file" needs every key of the file, and a Set of 100,000
 * keys (or ten million) would make memory grow with the file. With a 2 MB page cache the footprint
 * stays flat whatever the size. This is scratch space, not the iaphook database, so it is written
 * directly (no journal, no fsync) instead of through the group committer.
 */
export class SeenKeys {
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement<[string]>;
  private readonly select: BetterSqlite3.Statement<[string]>;
  private readonly addAll: (keys: string[]) => boolean[];

  private constructor(private readonly dir: string) {
    this.db = new BetterSqlite3(path.join(dir, 'seen.db'));
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -2048');
    this.db.exec('CREATE TABLE seen (key TEXT PRIMARY KEY) WITHOUT ROWID');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO seen (key) VALUES (?)');
    // One statement per page of ledger keys instead of one per key: json_each turns the page into rows.
    this.select = this.db.prepare('SELECT key FROM seen WHERE key IN (SELECT value FROM json_each(?))').pluck();
    this.addAll = this.db.transaction((keys: string[]) => keys.map((key) => this.insert.run(key).changes > 0));
  }

  static open(): SeenKeys {
    return new SeenKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-reconcile-')));
  }

  /** Adds the keys in order; true for each key not seen before (a repeat within the list is false). */
  addMany(keys: string[]): boolean[] {
    return this.addAll(keys);
  }

  /** Which of these keys were seen. */
  seenAmong(keys: string[]): Set<string> {
    return new Set(this.select.all(JSON.stringify(keys)) as string[]);
  }

  close(): void {
    if (this.db.open) this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
