import { lookupPath, PATH_PATTERN } from './paths';
import { BODYLESS_METHODS, type Envelope, type Template, type TemplateMethod } from './types';

// Templates fill {{path}} placeholders with values from the event and nothing else: no
// expressions, no helpers, no code. A value can never break out of its JSON string because it is
// JSON-escaped (text bodies) or placed as a value and serialised (JSON bodies), nor out of its
// query parameter because it is URL-encoded (a subscription URL's query string).

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
  method: TemplateMethod;
  headers: Record<string, string>;
  /** null for GET and DELETE, which send none. */
  body: string | null;
}

export const isBodyless = (method: string): boolean => (BODYLESS_METHODS as readonly string[]).includes(method);

export function fillTemplate(template: Template, envelope: Envelope): FilledTemplate {
  const method = template.method ?? 'POST';
  let body: string | null = null;
  if (!isBodyless(method)) {
    body = typeof template.body === 'string' ? fillText(template.body, envelope, jsonEscaped) : JSON.stringify(fillValue(template.body ?? null, envelope));
  }
  const headers = Object.fromEntries(
    Object.entries(template.headers ?? {}).map(([name, value]) => [name.toLowerCase(), headerSafe(fillText(value, envelope, asText))]),
  );
  return { method, headers, body };
}

/** A URL text cut around its query string (after the first `?`, before the `#`): only there may placeholders go. */
function splitQuery(url: string): { head: string; query: string; tail: string } {
  const hash = url.indexOf('#');
  const end = hash === -1 ? url.length : hash;
  const mark = url.indexOf('?');
  if (mark === -1 || mark > end) return { head: url.slice(0, end), query: '', tail: url.slice(end) };
  return { head: url.slice(0, mark + 1), query: url.slice(mark + 1, end), tail: url.slice(end) };
}

/**
 * Problems with the placeholders of a subscription URL, for validation. Only the query string may
 * hold them: the scheme, host and path stay what was registered, so the address checked when the
 * subscription is saved is the one every delivery goes to.
 */
export function urlPlaceholderProblems(url: string): string[] {
  const { head, query, tail } = splitQuery(url);
  const problems: string[] = [];
  if (`${head}${tail}`.includes('{{')) problems.push("placeholders may only appear in the URL's query string");
  const bad = invalidPlaceholders(query);
  if (bad.length > 0) problems.push(`unknown placeholders ${bad.map((p) => `{{${p}}}`).join(', ')}: use {{event}} or {{data.…}}`);
  return problems;
}

/** The URL with the placeholders of its query string filled, each value URL-encoded. */
export function fillUrl(url: string, envelope: Envelope): string {
  if (!url.includes('{{')) return url;
  const { head, query, tail } = splitQuery(url);
  return `${head}${fillText(query, envelope, (value) => encodeURIComponent(asText(value)))}${tail}`;
}
