import type { ValueField } from '../../nachocode';
import type { Queryable, Tx } from '../../storage/port';
import { sql } from '../../storage/sql';

/** What an admin said an unknown value of an enumerated field means. */
export interface ValueMapping {
  field: string;
  value: string;
  meaning: string;
  createdAt: number;
  updatedAt: number;
}

const MAPPING_COLUMNS = sql.raw(`field, value, meaning, created_at AS "createdAt", updated_at AS "updatedAt"`);

export async function findMeaning(db: Queryable, field: ValueField, value: string): Promise<string | undefined> {
  return (await db.get<{ meaning: string }>(sql`SELECT meaning FROM value_mappings WHERE field = ${field} AND value = ${value}`))?.meaning;
}

export function listMappings(db: Queryable): Promise<ValueMapping[]> {
  return db.all<ValueMapping>(sql`SELECT ${MAPPING_COLUMNS} FROM value_mappings ORDER BY field, value`);
}

/** Inserts or replaces the mapping; created_at stays the first time it was set. */
export async function upsertMapping(tx: Tx, field: ValueField, value: string, meaning: string, now: number): Promise<ValueMapping> {
  await tx.run(sql`INSERT INTO value_mappings (field, value, meaning, created_at, updated_at) VALUES (${field}, ${value}, ${meaning}, ${now}, ${now})
    ON CONFLICT (field, value) DO UPDATE SET meaning = excluded.meaning, updated_at = excluded.updated_at`);
  const row = await tx.get<ValueMapping>(sql`SELECT ${MAPPING_COLUMNS} FROM value_mappings WHERE field = ${field} AND value = ${value}`);
  if (row === undefined) throw new Error(`value mapping ${field}/${value} cannot be read back`);
  return row;
}

export async function deleteMapping(tx: Tx, field: ValueField, value: string): Promise<boolean> {
  return (await tx.run(sql`DELETE FROM value_mappings WHERE field = ${field} AND value = ${value}`)) > 0;
}
