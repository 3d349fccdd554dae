import crypto from 'node:crypto';
import { encodeTime } from 'ulid';

// ULID-shaped ids: 48 bits of milliseconds, then 80 random bits, in Crockford base32. They sort by
// creation time, so an id doubles as a pagination cursor.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_SPACE = 1n << 80n;

// One crypto call per 4 KB instead of one per id: the ingest path makes several ids per request.
const pool = Buffer.alloc(4096);
let offset = pool.length;
function randomBits(bytes: number): bigint {
  if (offset + bytes > pool.length) {
    crypto.randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return BigInt(`0x${hex}`);
}

const LOW_40 = (1n << 40n) - 1n;

/** Eight base32 digits of a number below 2^40 (exact in a double), most significant first. */
function base32Of40(value: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < 8; i += 1) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 80 bits as 16 base32 digits: two 40-bit halves as doubles, two BigInt operations in all instead of 32. */
export function encodeRandom(value: bigint): string {
  return base32Of40(Number(value >> 40n)) + base32Of40(Number(value & LOW_40));
}

/**
 * Monotonic within one millisecond, like ulid's monotonicFactory, but each step adds 1 plus 64
 * fresh random bits instead of exactly 1: ulid's +1 made the next id (a raw request, a bin) a
 * guess away from any id a sender was shown (a bin answers with its request id). A new
 * millisecond starts from 79 random bits, which leaves room for 2^15 maximal steps; past that the
 * generator moves to the next millisecond rather than wrap.
 */
export class MonotonicIds {
  private lastTime = -1;
  private last = 0n;

  /** random(bytes) returns that many random bytes as a number; injectable for tests. */
  constructor(private readonly random: (bytes: number) => bigint = randomBits) {}

  next(now: number): string {
    if (now > this.lastTime) {
      this.lastTime = now;
      this.last = this.random(10) >> 1n;
    } else {
      this.last += 1n + this.random(8);
      if (this.last >= RANDOM_SPACE) {
        this.lastTime += 1;
        this.last = this.random(10) >> 1n;
      }
    }
    return encodeTime(this.lastTime, 10) + encodeRandom(this.last);
  }
}

export type IdPrefix = 'evt' | 'req' | 'job' | 'whk' | 'dlv' | 'msg' | 'bin';

const monotonic = new MonotonicIds();

/**
 * A new id. Bins get 80 fresh random bits (their URL is the only thing a sender needs, so it must
 * not follow from any other id); everything else is monotonic, which keeps lists and cursors in
 * arrival order even within one millisecond.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (prefix === 'bin') return `${prefix}_${encodeTime(now, 10)}${encodeRandom(randomBits(10))}`;
  return `${prefix}_${monotonic.next(now)}`;
}
