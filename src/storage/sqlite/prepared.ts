import type { Db } from './database';

/**
 * One prepared statement per connection, built on first use. Hot repository functions take the
 * drizzle handle like every other, but building a drizzle query per call costs more than running
 * it; a statement prepared once with placeholders skips the building. Keyed weakly by the handle,
 * so a closed test database takes its statements with it.
 */
export function preparedPer<T>(build: (db: Db) => T): (db: Db) => T {
  const byDb = new WeakMap<Db, T>();
  return (db) => {
    let statement = byDb.get(db);
    if (statement === undefined) {
      statement = build(db);
      byDb.set(db, statement);
    }
    return statement;
  };
}

/**
 * The values for a prepared insert: every placeholder needs a value, and an undefined field means
 * "the column's default" to a drizzle builder, so it takes the default given here instead.
 */
export function withDefaults<T extends object>(defaults: Record<string, unknown>, values: T): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = value;
  return out;
}
