import type BetterSqlite3 from 'better-sqlite3';
import type { Queryable, Row, Tx } from '../port';
import { compile, type Sql } from '../sql';
import { sqliteRenderer } from './dialect';

const MAX_STATEMENTS = 1000;

/**
 * A bound LIMIT or OFFSET is a value SQLite's planner reads, so binding one expires the statement
 * and every run prepares it again: a few microseconds for a lookup, hundreds for the claim (four
 * LIMITs). As an expression, CAST(? AS INTEGER), it is bound like any other value.
 */
const BOUND_LIMIT = /\b(LIMIT|OFFSET)\s+\?/g;
export const withLimitsAsValues = (text: string): string => text.replace(BOUND_LIMIT, '$1 CAST(? AS INTEGER)');

/**
 * Runs portable queries on one better-sqlite3 connection. Compiling a statement costs more than
 * running most of ours, so compiled statements are kept by their text; texts that vary without
 * bound (none today) are capped by clearing. better-sqlite3 is synchronous: a query runs when it
 * is called, and the promise only carries its result.
 */
export class SqliteConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly sqlite: BetterSqlite3.Database) {}

  allSync<T>(query: Sql): T[] {
    const { text, params } = compile(query, sqliteRenderer);
    return this.statement(text).all(...params) as T[];
  }

  getSync<T>(query: Sql): T | undefined {
    const { text, params } = compile(query, sqliteRenderer);
    return this.statement(text).get(...params) as T | undefined;
  }

  /** Rows of a statement that returns some (RETURNING); none of one that does not. */
  writeSync<T>(query: Sql): T[] {
    const { text, params } = compile(query, sqliteRenderer);
    const statement = this.statement(text);
    if (statement.reader) return statement.all(...params) as T[];
    statement.run(...params);
    return [];
  }

  runSync(query: Sql): number {
    const { text, params } = compile(query, sqliteRenderer);
    return this.statement(text).run(...params).changes;
  }

  /** Statements the connection itself needs (BEGIN, SAVEPOINT…), prepared once. */
  statement(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      statement = this.sqlite.prepare(withLimitsAsValues(text));
      this.statements.set(text, statement);
    }
    return statement;
  }
}

/** A Queryable over a connection; `guard` runs before every query (a revoked transaction throws). */
export function queryable(connection: SqliteConnection, guard?: () => void): Queryable {
  const attempt = <T>(run: () => T): Promise<T> => {
    try {
      guard?.();
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    all: <T = Row>(query: Sql) => attempt(() => connection.allSync<T>(query)),
    get: <T = Row>(query: Sql) => attempt(() => connection.getSync<T>(query)),
    run: (query: Sql) => attempt(() => connection.runSync(query)),
  };
}

/** The handle a group-commit closure gets: queries run in the open transaction until it is revoked. */
export interface SqliteTx extends Tx {
  revoke(): void;
}

export function sqliteTx(connection: SqliteConnection): SqliteTx {
  let revoked = false;
  const q = queryable(connection, () => {
    if (revoked) throw new Error('this transaction has ended: a write closure used its handle after it returned');
  });
  return {
    ...q,
    // One write transaction at a time already: nothing to lock.
    lock: () => Promise.resolve(),
    revoke: () => {
      revoked = true;
    },
  };
}
