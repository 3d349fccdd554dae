import { openTableWriter } from './postgres/table-writer';
import { openTableReader } from './sqlite/table-reader';

// Moving an embedded install to PostgreSQL: every table of the SQLite file copied, in one
// PostgreSQL transaction, into a freshly migrated and empty database. Nothing is transformed but
// what the two column types require (booleans), so ids, secrets, attempt logs and leases survive.

/** Parents before children, so foreign keys hold at every insert. */
export const TABLES = [
  'projects',
  'channels',
  'issues',
  'feedbacks',
  'feedback_issues',
  'webhooks',
  'outbound_events',
  'jobs',
  'job_attempts',
  'deliveries',
  'raw_requests',
  'events',
  'purchases',
  'ledger_entries',
  'anomalies',
  'anomaly_acknowledgements',
  'value_mappings',
  'unavailable_users',
  'bins',
  'revoked_tokens',
  'meta',
] as const;

export type TableName = (typeof TABLES)[number];

export interface TransferProgress {
  /** Called once with the row count of every table, before copying. */
  onPlan?(counts: Record<TableName, number>): void;
  /** Rows copied so far of a table. */
  onRows?(table: TableName, copied: number): void;
}

export class TargetNotEmptyError extends Error {
  constructor(readonly tables: string[]) {
    super(`the target database is not empty (${tables.join(', ')} hold rows): migrate into a new, empty database`);
    this.name = 'TargetNotEmptyError';
  }
}

const PAGE = 500;

/** SQLite stores booleans as 0/1; everything else binds as it is. */
const convert = (value: unknown, type: string | undefined): unknown => (type === 'boolean' && typeof value === 'number' ? value !== 0 : value);

/**
 * Copies the SQLite database at `from` into the PostgreSQL database at `to`. Reads happen in one
 * read transaction (a consistent snapshot, even of a file a server still writes to); writes in one
 * PostgreSQL transaction, so a failure leaves the target as empty as it was. Refuses a target with
 * any row in any of iaphook's tables. Resolves to the row count of every table copied.
 */
export async function transferToPostgres(from: string, to: string, progress: TransferProgress = {}): Promise<Record<TableName, number>> {
  const reader = openTableReader(from);
  try {
    const writer = await openTableWriter(to);
    try {
      const occupied = await writer.occupied(TABLES);
      if (occupied.length > 0) throw new TargetNotEmptyError(occupied);
      const counts = Object.fromEntries(TABLES.map((t) => [t, reader.count(t)])) as Record<TableName, number>;
      progress.onPlan?.(counts);
      await writer.begin();
      try {
        for (const table of TABLES) {
          const columns = reader.columns(table);
          const types = await writer.columnTypes(table);
          const missing = columns.filter((c) => !types.has(c));
          if (missing.length > 0) throw new Error(`${table}: the PostgreSQL schema has no column ${missing.join(', ')}; upgrade iaphook first`);
          let copied = 0;
          for (const rows of reader.pages(table, PAGE)) {
            await writer.insert(
              table,
              columns,
              rows.map((row) => columns.map((c) => convert(row[c], types.get(c)))),
            );
            copied += rows.length;
            progress.onRows?.(table, copied);
          }
        }
        for (const table of TABLES) await writer.resetIdentity(table);
        await writer.commit();
      } catch (error) {
        await writer.rollback();
        throw error;
      }
      return counts;
    } finally {
      await writer.close();
    }
  } finally {
    reader.close();
  }
}
