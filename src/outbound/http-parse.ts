import type { z } from 'zod';
import { AppError } from '../shared/errors';

/** Parses a JSON body with a schema; a bad one is a 422 naming each field, as the receiver does. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
  throw new AppError('validation_failed', `invalid ${what}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/** A numeric route id; anything else cannot name a row, so it is a 404 like an unknown id. */
export function parseId(value: string | string[] | undefined, what: string): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) throw new AppError('not_found', `no ${what} ${text ?? ''}`.trim());
  return Number(text);
}
