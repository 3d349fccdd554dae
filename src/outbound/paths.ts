/**
 * Dotted paths into an event envelope (`event`, `data.issue.status`, `data.feedback.issues.0.name`)
 * for templates and filters. Only own properties are followed and only plain segments are allowed,
 * so a path can never reach `__proto__`, `constructor` or anything outside the envelope.
 */
export const PATH_PATTERN = /^(event|data(\.[A-Za-z0-9_]+)*)$/;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function step(value: unknown, segment: string): unknown {
  if (FORBIDDEN.has(segment) || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  return Object.prototype.hasOwnProperty.call(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
}

/** The value at a path, or undefined. Arrays are indexed by number segments. */
export function lookupPath(root: unknown, path: string): unknown {
  if (!PATH_PATTERN.test(path)) return undefined;
  return path.split('.').reduce<unknown>(step, root);
}

/**
 * Every value at a path, looking through arrays on the way: `data.feedback.issues.status` gives
 * the status of each linked issue, so a filter can ask for "any issue resolved".
 */
export function collectPath(root: unknown, path: string): unknown[] {
  if (!PATH_PATTERN.test(path)) return [];
  let current: unknown[] = [root];
  for (const segment of path.split('.')) {
    current = current.flatMap((value) => {
      if (Array.isArray(value) && !/^\d+$/.test(segment)) return value.map((item) => step(item, segment));
      return [step(value, segment)];
    });
  }
  return current.flatMap((value) => (Array.isArray(value) ? value : [value])).filter((v) => v !== undefined);
}
