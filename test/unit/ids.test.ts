import { decodeTime } from 'ulid';
import { encodeRandom, MonotonicIds, newId } from '../../src/shared/ids';

// Ids sort by time (cursors rely on it) but must not follow from one another: a bin answers every
// sender with its request id, and the next request's id, or a new bin's, must not be a guess away.

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomPart = (id: string) => [...id.slice(-16)].reduce((n, c) => n * 32n + BigInt(CROCKFORD.indexOf(c)), 0n);

describe('newId', () => {
  it('when many ids are made in one millisecond, then they sort in creation order and each is more than a small step from the last', () => {
    const ids = Array.from({ length: 1000 }, () => newId('req', T0));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i += 1) expect(randomPart(ids[i]) - randomPart(ids[i - 1])).toBeGreaterThan(1n << 20n);
  });

  it('when the clock goes backwards, then ids keep increasing', () => {
    const first = newId('evt', T0 + 10_000);
    const second = newId('evt', T0 + 5_000);
    expect(second > first).toBe(true);
  });

  it.each(['req', 'evt', 'bin'] as const)('when a %s id is made, then it carries the time and the prefix', (prefix) => {
    const id = newId(prefix, T0 + 20_000);
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(decodeTime(id.slice(prefix.length + 1))).toBeGreaterThanOrEqual(T0 + 20_000);
  });

  it('when bins are made in one millisecond, then their ids share nothing but the time', () => {
    const [a, b] = [newId('bin', T0 + 30_000), newId('bin', T0 + 30_000)];
    expect(a.slice(0, 14)).toBe(b.slice(0, 14));
    const distance = randomPart(a) > randomPart(b) ? randomPart(a) - randomPart(b) : randomPart(b) - randomPart(a);
    expect(distance).toBeGreaterThan(1n << 40n);
  });
});

describe('MonotonicIds', () => {
  it('when the steps would run past the random space, then it moves to the next millisecond instead of wrapping', () => {
    const max = (bytes: number) => (1n << BigInt(bytes * 8)) - 1n;
    const ids = new MonotonicIds(max);
    const made = Array.from({ length: 40_000 }, () => ids.next(T0));
    expect([...made].sort()).toEqual(made);
    expect(decodeTime(made[made.length - 1])).toBe(T0 + 1);
  });
});

describe('encodeRandom', () => {
  // The definition: 16 Crockford base32 digits of the 80-bit value, most significant first.
  const reference = (value: bigint) => {
    let out = '';
    for (let i = 0, rest = value; i < 16; i += 1, rest >>= 5n) out = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[Number(rest & 31n)] + out;
    return out;
  };
  const MAX = (1n << 80n) - 1n;

  it.each<[string, bigint, string]>([
    ['zero', 0n, '0000000000000000'],
    ['one', 1n, '0000000000000001'],
    ['31, the last digit', 31n, '000000000000000Z'],
    ['2^40 - 1, the low half full', (1n << 40n) - 1n, '00000000ZZZZZZZZ'],
    ['2^40, the first bit of the high half', 1n << 40n, '0000000100000000'],
    ['2^80 - 1, the largest', MAX, 'ZZZZZZZZZZZZZZZZ'],
  ])('when the value is %s, then it encodes as the definition says', (_name, value, expected) => {
    expect(encodeRandom(value)).toBe(expected);
    expect(reference(value)).toBe(expected);
  });

  it('when the value is any 80-bit number, then it encodes as the digit-by-digit definition', () => {
    for (let i = 0; i < 2_000; i++) {
      const value = BigInt.asUintN(
        80,
        BigInt(`0x${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`),
      );
      expect(encodeRandom(value)).toBe(reference(value));
    }
  });
});
