import { monotonicFactory } from 'ulid';

// Monotonic ULIDs sort by creation time even within one millisecond, so an id doubles as a
// pagination cursor.
const ulid = monotonicFactory();

export type IdPrefix = 'evt' | 'req' | 'job' | 'whk' | 'dlv';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}
