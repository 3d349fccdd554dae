// The SQL the domain writes: a tagged template whose values become bound parameters, never text.
// The text itself is portable SQL (both SQLite and PostgreSQL understand it); where the two engines
// really differ (JSON, dates, lists, case-insensitive LIKE) a query uses one of the portable
// functions below, which each backend renders in its own dialect (storage/<backend>/dialect.ts).
// Nothing here knows which database runs the query.

/** A query or a fragment of one. Built by `sql`; compiled by the backend that runs it. */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** A dialect-specific construct: its name and arguments; each backend knows how to render it. */
export class Portable {
  constructor(
    readonly name: PortableName,
    readonly args: readonly unknown[],
  ) {}
}

export type PortableName =
  'inList' | 'jsonText' | 'jsonNumber' | 'isoToMs' | 'utcDay' | 'offsetOnly' | 'bodyText' | 'bodyField' | 'bodyArrayHas' | 'likeInsensitive' | 'lastInsertId';

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** Trusted SQL text (a column list, an ORDER BY written in code), never user input. */
sql.raw = (text: string): Sql => new Sql([text], []);

sql.empty = new Sql([''], []);

/** Fragments joined by a separator: `sql.join([a, b], sql`, `)`. */
sql.join = (parts: readonly Sql[], separator: Sql = sql.raw(', ')): Sql => {
  if (parts.length === 0) return sql.empty;
  const values: unknown[] = [];
  parts.forEach((part, i) => {
    if (i > 0) values.push(separator);
    values.push(part);
  });
  return new Sql(['', ...values.slice(1).map(() => ''), ''], values);
};

/** AND of the fragments given, leaving out undefined ones; TRUE when none is left. */
sql.and = (parts: ReadonlyArray<Sql | undefined>): Sql => {
  const present = parts.filter((p): p is Sql => p !== undefined);
  if (present.length === 0) return sql.raw('1 = 1');
  return sql.join(
    present.map((p) => sql`(${p})`),
    sql.raw(' AND '),
  );
};

/** What a portable function takes as an expression: a fragment, or another portable function. */
export type Fragment = Sql | Portable;

const portable =
  (name: PortableName) =>
  (...args: unknown[]): Portable =>
    new Portable(name, args);

/** Fragments whose SQL differs between the engines. Keys and paths must be trusted constants. */
export const fn = {
  /** `expr` equals one of the values (one bound parameter however many values). */
  inList: portable('inList') as (expr: Fragment, values: ReadonlyArray<string | number>) => Portable,
  /** A top-level field of a JSON text column, as text (null when absent). */
  jsonText: portable('jsonText') as (expr: Fragment, key: string) => Portable,
  /** A top-level numeric field of a JSON text column, as a number. */
  jsonNumber: portable('jsonNumber') as (expr: Fragment, key: string) => Portable,
  /** An ISO-8601 date-time text as integer epoch milliseconds. */
  isoToMs: portable('isoToMs') as (expr: Fragment) => Portable,
  /** Epoch milliseconds as the UTC day, YYYY-MM-DD. */
  utcDay: portable('utcDay') as (msExpr: Fragment) => Portable,
  /** Skip the first n rows without a limit (`LIMIT -1 OFFSET n` in one engine, `OFFSET n` in the other). */
  offsetOnly: portable('offsetOnly') as (n: number) => Portable,
  /** A stored raw body (bytes) as text, or null when it is not valid UTF-8. */
  bodyText: portable('bodyText') as (expr: Fragment) => Portable,
  /** A top-level field of a stored raw body, as text; null when the body is not a JSON object. */
  bodyField: portable('bodyField') as (expr: Fragment, key: string) => Portable,
  /** True when the stored raw body's array field `key` holds the string `value`. */
  bodyArrayHas: portable('bodyArrayHas') as (expr: Fragment, key: string, value: string) => Portable,
  /** Case-insensitive LIKE with backslash as the escape character. */
  likeInsensitive: portable('likeInsensitive') as (expr: Fragment, pattern: string) => Portable,
  /**
   * The id the transaction's latest insert into a table with a generated id took. Statements of a
   * transaction run in the order they are sent, so a row can name the one inserted just before it
   * without waiting for that insert's answer.
   */
  lastInsertId: portable('lastInsertId') as () => Portable,
};

/** Escapes LIKE wildcards so user text matches literally (with ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A JSON key or path segment used inside SQL text: letters, digits and underscores only. */
export function assertKey(key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not a safe JSON key for SQL: ${key}`);
  return key;
}

export interface Compiled {
  text: string;
  params: unknown[];
}

/** What a backend supplies to turn a query into its own text and parameters. */
export interface Renderer {
  /** The placeholder for the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** A value as the driver binds it. */
  param(value: unknown): unknown;
  portable(node: Portable): Sql;
}

const flatTexts = new WeakMap<Renderer, WeakMap<readonly string[], string>>();

/**
 * Query text and parameters for one backend. A query without nested fragments (the common case,
 * a template with plain values) has its text built once per call site: template string arrays
 * are the same object on every call, so they key the cache.
 */
export function compile(query: Sql, renderer: Renderer): Compiled {
  if (query.values.every((v) => !(v instanceof Sql) && !(v instanceof Portable))) {
    let texts = flatTexts.get(renderer);
    if (texts === undefined) {
      texts = new WeakMap();
      flatTexts.set(renderer, texts);
    }
    let text = texts.get(query.strings);
    if (text === undefined) {
      text = query.strings.reduce((out, s, i) => (i === 0 ? s : `${out}${renderer.placeholder(i)}${s}`), '');
      texts.set(query.strings, text);
    }
    return { text, params: query.values.map((v) => renderer.param(v)) };
  }
  const params: unknown[] = [];
  const text = build(query, renderer, params);
  return { text, params };
}

function build(query: Sql, renderer: Renderer, params: unknown[]): string {
  let text = query.strings[0];
  for (let i = 0; i < query.values.length; i += 1) {
    const value = query.values[i];
    if (value instanceof Sql) text += build(value, renderer, params);
    else if (value instanceof Portable) text += build(renderer.portable(value), renderer, params);
    else {
      params.push(renderer.param(value));
      text += renderer.placeholder(params.length);
    }
    text += query.strings[i + 1];
  }
  return text;
}
