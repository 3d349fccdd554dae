import type BetterSqlite3 from 'better-sqlite3';

const MAX_STATEMENTS = 1000;

/**
 * drizzle asks better-sqlite3 to prepare (compile) the SQL of every query it runs, which was the
 * largest single cost on the ingest path. Query builders produce the same text for the same query,
 * so compiled statements are kept by text and reused. drizzle switches a statement to raw (array)
 * mode right before it wants arrays, so raw mode is reset on every hand-out to keep callers that
 * expect objects correct. Unbounded texts (IN lists of varying length) are capped by clearing.
 */
export function cacheStatements(sqlite: BetterSqlite3.Database): void {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = sqlite.prepare.bind(sqlite) as (source: string) => BetterSqlite3.Statement;
  const cached = (source: string): BetterSqlite3.Statement => {
    let statement = cache.get(source);
    if (statement === undefined) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      statement = prepare(source);
      cache.set(source, statement);
    } else if (statement.reader) {
      statement.raw(false);
    }
    return statement;
  };
  Object.defineProperty(sqlite, 'prepare', { value: cached, configurable: true, writable: true });
}
