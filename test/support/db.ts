import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/storage/sqlite/database';

/** A real SQLite file with migrations applied, in a fresh temporary folder. */
export function tempDir(prefix = 'iaphook-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function freshDatabase(): Database & { dir: string; remove(): void } {
  const dir = tempDir();
  const database = openDatabase(path.join(dir, 'test.db'));
  return Object.assign(database, {
    dir,
    remove() {
      database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}
