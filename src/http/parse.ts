import type { z } from 'zod';
import { AppError } from '../shared/errors';

// What every admin route does with its input: a schema, and a clear error naming each field.

type Issue = z.core.$ZodIssue;
const path = (issue: Issue) => issue.path.map(String).join('.');

/**
 * Parses a JSON body with a schema; a bad one is a 422 (or the given code) naming each field, as
 * the receiver does. Our own API bodies are strict: a misspelt field is named, not ignored.
 */
export function parseBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what = 'body',
  code: 'validation_failed' | 'bad_request' = 'validation_failed',
): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({ field: path(issue) || '(body)', message: issue.message }));
  throw new AppError(code, `invalid ${what}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/** Parses query parameters with a schema; a bad one is a 400 naming each parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({ field: path(issue) || ((issue as { keys?: string[] }).keys ?? []).join(','), message: issue.message }));
  throw new AppError('invalid_query', `invalid query parameters: ${fields.map((f) => f.field).join(', ')}`, { fields });
}

/** A numeric route id; anything else cannot name a row, so it is a 404 like an unknown id. */
export function parseId(value: string | string[] | undefined, what: string): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) throw new AppError('not_found', `no ${what} ${text ?? ''}`.trim());
  return Number(text);
}
