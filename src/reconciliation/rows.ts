import sjson from 'secure-json-parse';

type Body = Record<string, unknown>;

// Columns the webhook sends as numbers. Everything else stays text: store transaction ids are
// longer than a double holds exactly, and the webhook schema wants them as strings anyway.
const NUMERIC = new Set(['iapLogId', 'quantity', 'price', 'refundQuantity']);
const NUMBER = /^-?\d+(\.\d+)?$/;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// Identifiers are compared byte for byte, as the receiver stores them: a cell "abc " stays "abc ".
const EXACT = new Set(['userId', 'productId', 'nachoProductId']);

function asObject(value: unknown): Body | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : null;
}

/** JSON that cannot smuggle __proto__ into objects we spread later (same parser as the receiver). */
export function parseJsonSafely(text: string): unknown {
  return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
}

/**
 * One CSV record (header = webhook field names) to the webhook body it stands for. Empty cells are
 * absent fields; store data goes either in `data.<field>` columns or in a `data` column holding JSON.
 * Numbers that do not parse stay text, so validation names the field instead of a NaN slipping by.
 */
export function csvRecordToBody(record: Record<string, string | undefined>): Body {
  const body: Body = {};
  const data: Body = {};
  for (const [rawColumn, rawValue] of Object.entries(record)) {
    const column = rawColumn.trim();
    const trimmed = (rawValue ?? '').trim();
    const value = EXACT.has(column) && trimmed !== '' ? (rawValue as string) : trimmed;
    if (column === '' || value === '' || UNSAFE_KEYS.has(column.replace(/^data\./, ''))) continue;
    if (column === 'data') {
      let parsed: unknown;
      try {
        parsed = parseJsonSafely(value);
      } catch {
        parsed = null;
      }
      Object.assign(data, asObject(parsed) ?? { raw: value });
    } else if (column.startsWith('data.')) {
      data[column.slice('data.'.length)] = value;
    } else if (NUMERIC.has(column) && NUMBER.test(value)) {
      body[column] = Number(value);
    } else {
      body[column] = value;
    }
  }
  if (Object.keys(data).length > 0) body.data = data;
  return body;
}

/** One JSON line (a webhook body); throws with the parser's message on bad JSON. */
export function jsonLineToBody(line: string): unknown {
  return parseJsonSafely(line);
}
