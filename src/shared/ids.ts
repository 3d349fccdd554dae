import crypto from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid's default generator draws one crypto call per character; a pooled buffer gives the same
// randomness for a fraction of the cost on the ingest path.
const pool = Buffer.alloc(4096);
let offset = pool.length;
function pooledRandom(): number {
  if (offset >= pool.length) {
    crypto.randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++] / 256;
}

// Monotonic ULIDs sort by creation time even within one millisecond, so an id doubles as a
// pagination cursor.
const ulid = monotonicFactory(pooledRandom);

export type IdPrefix = 'evt' | 'req' | 'job' | 'whk' | 'dlv' | 'msg' | 'bin';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}
