import pg from 'pg';
import { migratePostgres } from './migrate';

/** Writes whole tables into a migrated PostgreSQL database, in one transaction. */
export interface TableWriter {
  /** Tables of these that hold at least one row. */
  occupied(tables: readonly string[]): Promise<string[]>;
  /** Column name → data type. */
  columnTypes(table: string): Promise<Map<string, string>>;
  begin(): Promise<void>;
  insert(table: string, columns: string[], rows: unknown[][]): Promise<void>;
  /** The identity continues after the largest id, so the next insert does not collide with a copied one. */
  resetIdentity(table: string): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

export async function openTableWriter(url: string): Promise<TableWriter> {
  await migratePostgres(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    occupied: async (tables) => {
      const out: string[] = [];
      for (const table of tables) {
        const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM "${table}") AS any`);
        if ((rows[0] as { any: boolean }).any) out.push(table);
      }
      return out;
    },
    columnTypes: async (table) => {
      const { rows } = await client.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
        [table],
      );
      return new Map((rows as Array<{ column_name: string; data_type: string }>).map((r) => [r.column_name, r.data_type]));
    },
    begin: async () => void (await client.query('BEGIN')),
    insert: async (table, columns, rows) => {
      const values: unknown[] = [];
      const tuples = rows.map((row) => `(${row.map((value) => (values.push(value), `$${values.length}`)).join(', ')})`);
      // Identities are BY DEFAULT: explicit ids are kept as they are.
      await client.query(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`, values);
    },
    resetIdentity: async (table) => {
      const identity = await client.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'`,
        [table],
      );
      if (identity.rowCount === 0) return;
      const { rows } = await client.query(`SELECT pg_get_serial_sequence($1, 'id') AS seq`, [table]);
      const seq = (rows[0] as { seq: string | null } | undefined)?.seq;
      if (seq === null || seq === undefined) return;
      await client.query(`SELECT setval($1, coalesce((SELECT max(id) FROM "${table}"), 0) + 1, false)`, [seq]);
    },
    commit: async () => void (await client.query('COMMIT')),
    rollback: async () => void (await client.query('ROLLBACK').catch(() => undefined)),
    close: () => client.end(),
  };
}
