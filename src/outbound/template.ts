import { lookupPath, PATH_PATTERN } from './paths';
import type { Envelope, Template } from './types';

// Templates fill {{path}} placeholders with values from the event and nothing else: no
// expressions, no helpers, no code. A value can never break out of its JSON string because it is
// JSON-escaped (text bodies) or placed as a value and serialised (JSON bodies).

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}\s]+)\s*\}\}$/;

/** Placeholders that are not a valid path, for validation when a subscription is saved. */
export function invalidPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((path) => !PATH_PATTERN.test(path));
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** For a text that is itself JSON: the value as the inside of a JSON string. */
function jsonEscaped(value: unknown): string {
  return JSON.stringify(asText(value)).slice(1, -1);
}

function fillText(text: string, envelope: Envelope, escape: (value: unknown) => string): string {
  return text.replace(PLACEHOLDER, (_m, path: string) => escape(lookupPath(envelope, path)));
}

/** A string that is one placeholder becomes the value itself (a number stays a number). */
function fillValue(value: unknown, envelope: Envelope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookupPath(envelope, whole[1]) ?? null;
    return fillText(value, envelope, asText);
  }
  if (Array.isArray(value)) return value.map((item) => fillValue(item, envelope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, envelope)]));
  }
  return value;
}

/** Header values get no CR/LF or other control characters: no header injection. */
function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 1024);
}

export interface FilledTemplate {
  method: string;
  headers: Record<string, string>;
  body: string;
}

export function fillTemplate(template: Template, envelope: Envelope): FilledTemplate {
  const body =
    typeof template.body === 'string'
      ? fillText(template.body, envelope, jsonEscaped)
      : JSON.stringify(fillValue(template.body, envelope));
  const headers = Object.fromEntries(
    Object.entries(template.headers ?? {}).map(([name, value]) => [name.toLowerCase(), headerSafe(fillText(value, envelope, asText))]),
  );
  return { method: template.method ?? 'POST', headers, body };
}
