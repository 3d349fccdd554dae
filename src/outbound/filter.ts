import { collectPath } from './paths';
import type { Envelope, Filter } from './types';

/**
 * Every path must match (AND); a path matches when any value found there is one of the allowed
 * values (OR). A missing path matches only an explicit null. No filter lets everything through.
 */
export function matchesFilter(envelope: Envelope, filter: Filter | null): boolean {
  if (filter === null) return true;
  return Object.entries(filter).every(([path, allowed]) => {
    const found = collectPath(envelope, path);
    if (found.length === 0) return allowed.includes(null);
    return found.some((value) => allowed.some((a) => a === value));
  });
}
