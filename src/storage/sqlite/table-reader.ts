import BetterSqlite3 from 'better-sqlite3';

export type RawRow = Record<string, unknown>;

/** Reads whole tables of a SQLite file in rowid order, inside one read transaction (a consistent snapshot). */
export interface TableReader {
  count(table: string): number;
  columns(table: string): string[];
  pages(table: string, size: number): Generator<RawRow[]>;
  close(): void;
}

export function openTableReader(file: string): TableReader {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  // WAL: a server still writing to the file does not change what this transaction sees.
  db.exec('BEGIN');
  return {
    count: (table) => (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n,
    columns: (table) => (db.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((c) => c.name),
    *pages(table, size) {
      const page = db.prepare(`SELECT rowid AS "_rowid", * FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ${size}`);
      let after = 0;
      for (;;) {
        const rows = page.all(after) as RawRow[];
        if (rows.length === 0) return;
        after = rows[rows.length - 1]._rowid as number;
        yield rows;
      }
    },
    close: () => {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}
