import type { TimeRange } from './types';

const DAY_MS = 24 * 3600 * 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// The same forms the webhook schema accepts, so a bound can be pasted from a payload.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A range bound from a query string or a CLI flag. A bare date means the whole UTC day, so
 * `from=2026-03-01&to=2026-03-31` covers March inclusively; a date-time is taken as given.
 * Returns undefined for text that is neither (the caller names the parameter in its error).
 */
export function parseBound(value: string, edge: 'from' | 'to'): number | undefined {
  const text = value.trim();
  if (DATE_ONLY.test(text)) {
    const start = Date.parse(`${text}T00:00:00.000Z`);
    if (Number.isNaN(start)) return undefined;
    return edge === 'from' ? start : start + DAY_MS - 1;
  }
  if (!DATE_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function inRange(ms: number, range: TimeRange): boolean {
  return (range.from === null || ms >= range.from) && (range.to === null || ms <= range.to);
}

/** SQL-friendly bounds: open ends become the widest integers both engines compare exactly. */
export function sqlBounds(range: TimeRange): { from: number; to: number } {
  return { from: range.from ?? Number.MIN_SAFE_INTEGER, to: range.to ?? Number.MAX_SAFE_INTEGER };
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** "3 d 4 h", "2 h 5 min", "40 s": ages in explanations, coarse on purpose. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
