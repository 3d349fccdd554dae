import { z } from 'zod';
import { AppError } from '../shared/errors';
import type { ChannelField } from './fields';

// Feedback checked against its channel's fields, as ABC's validateValue checks it (a string for
// text and keyword, a number, a date string, an option, a list of options), plus what iaphook
// always did for message and userEmail: required values, trimmed text, length limits, emails.

export interface FieldProblem {
  field: string;
  message: string;
}

const TEXT_MAX = 10_000;
const KEYWORD_MAX = 1_000;
const email = z.email().max(320);

/** A problem with one value, or the value to store. */
type Checked = { ok: true; value: unknown } | { ok: false; message: string };

const fail = (message: string): Checked => ({ ok: false, message });
const pass = (value: unknown): Checked => ({ ok: true, value });

function checkString(field: ChannelField, value: unknown, max: number): Checked {
  if (typeof value !== 'string') return fail('must be a string');
  const text = value.trim();
  if (field.required && text === '') return fail('is required');
  if (text.length > max) return fail(`must be at most ${max} characters`);
  if (field.email === true && !email.safeParse(text).success) return fail('must be an email address');
  return pass(text);
}

function checkOne(field: ChannelField, value: unknown): Checked {
  const options = field.options ?? [];
  switch (field.type) {
    case 'text':
      return checkString(field, value, TEXT_MAX);
    case 'keyword':
      return checkString(field, value, KEYWORD_MAX);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? pass(value) : fail('must be a number');
    case 'date':
      // ABC's check, Date.parse; the value is stored and sent as given.
      return typeof value === 'string' && value.length <= 100 && !Number.isNaN(Date.parse(value))
        ? pass(value)
        : fail('must be a date, e.g. 2026-03-02T10:30:00Z');
    case 'select':
      return typeof value === 'string' && options.includes(value) ? pass(value) : fail(`must be one of ${options.join(', ')}`);
    case 'multiSelect': {
      if (!Array.isArray(value)) return fail(`must be a list of ${options.join(', ')}`);
      if (field.required && value.length === 0) return fail('is required');
      const wrong = value.find((v) => typeof v !== 'string' || !options.includes(v));
      if (wrong !== undefined) return fail(`${JSON.stringify(wrong)} is not one of ${options.join(', ')}`);
      if (new Set(value).size !== value.length) return fail('lists an option twice');
      return pass(value);
    }
  }
}

/**
 * The values to store for a feedback: every declared field present in the body, in the order the
 * channel declares them. An absent or null value is left out (null is how clients always sent "no
 * userEmail"), unless the field is required. A key the channel does not declare is refused: ABC
 * refuses it too, and keeping it silently is how `category` used to vanish.
 */
export function checkFeedbackValues(fields: readonly ChannelField[], body: Record<string, unknown>): Record<string, unknown> {
  const problems: FieldProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    const value = Object.hasOwn(body, field.key) ? body[field.key] : undefined;
    if (value === undefined || value === null) {
      if (field.required) problems.push({ field: field.key, message: 'is required' });
      continue;
    }
    const checked = checkOne(field, value);
    if (checked.ok) values[field.key] = checked.value;
    else problems.push({ field: field.key, message: checked.message });
  }
  const declared = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(body)) {
    if (!declared.has(key)) problems.push({ field: key, message: `is not a field of this channel (its fields: ${[...declared].join(', ')})` });
  }
  if (problems.length > 0) {
    throw new AppError('validation_failed', `invalid feedback: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { fields: problems });
  }
  return values;
}
