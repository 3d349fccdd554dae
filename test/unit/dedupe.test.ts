import { canonicalJson, contentHash, dedupeKey } from '../../src/nachocode/dedupe';
import type { EventPayload, PurchasePayload, RefundPayload, UnavailableUsersPayload } from '../../src/nachocode/schemas';
import { nacho, type Json } from '../support/fixtures';

const purchase = (o: Json = {}): EventPayload => ({ type: 'purchase', payload: nacho.purchaseIos(o) as PurchasePayload });
const refund = (o: Json = {}): EventPayload => ({ type: 'refund', payload: nacho.refundAndroid(o) as RefundPayload });
const unavailable = (o: Json): EventPayload => ({ type: 'unavailable_users', payload: o as UnavailableUsersPayload });

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['a flat object', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['a nested object', { z: { y: 1, x: [3, { d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[3,{"c":2,"d":1}],"y":1}}'],
    ['an array (order kept)', [3, 1, 2], '[3,1,2]'],
    ['an array of objects', [{ b: 1, a: 1 }, { a: 2 }], '[{"a":1,"b":1},{"a":2}]'],
    ['a string with quotes', 'say "hi"', '"say \\"hi\\""'],
    ['a key needing escapes', { 'a"b': 1 }, '{"a\\"b":1}'],
    ['a number', 1.5, '1.5'],
    ['a boolean', false, 'false'],
    ['null', null, 'null'],
    ['an empty object', {}, '{}'],
    ['an empty array', [], '[]'],
    ['a unicode string', 'é✓', '"é✓"'],
  ])('when the value is %s, then it serialises to sorted canonical JSON', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each<[string, unknown, unknown]>([
    ['flat keys reordered', { a: 1, b: 2, c: 3 }, { c: 3, a: 1, b: 2 }],
    ['nested keys reordered', { outer: { a: 1, b: { x: 1, y: 2 } } }, { outer: { b: { y: 2, x: 1 }, a: 1 } }],
    ['keys reordered inside array elements', [{ a: 1, b: 2 }], [{ b: 2, a: 1 }]],
    ['a fixture with its keys reversed', nacho.purchaseIos(), Object.fromEntries(Object.entries(nacho.purchaseIos()).reverse())],
  ])('when two values differ only by %s, then they serialise identically', (_name, left, right) => {
    expect(canonicalJson(left)).toBe(canonicalJson(right));
  });

  it.each<[string, unknown, unknown]>([
    ['array element order', [1, 2], [2, 1]],
    ['array of lists order', { ids: ['u1', 'u2'] }, { ids: ['u2', 'u1'] }],
    ['a string vs a number', { a: '1' }, { a: 1 }],
    ['nesting depth', { a: { b: 1 } }, { a: [{ b: 1 }] }],
  ])('when two values differ by %s, then they serialise differently', (_name, left, right) => {
    expect(canonicalJson(left)).not.toBe(canonicalJson(right));
  });

  // Stored events keep these hashes: a change to the canonical form would make every resent event
  // after an upgrade look like a conflict with its first copy.
  it.each<[string, unknown, string]>([
    ['the iOS purchase fixture', nacho.purchaseIos(), '2151ed5f4a096d303a99da1e0688ab0c66d6d240b305dd1a3ecd9fb49438e20d'],
    ['the Android refund fixture', nacho.refundAndroid(), '8c8916ff1652a59b2eb3fa97ed508682ba48df73a1bb82fb7a40bdc18e535ed0'],
    [
      'nesting, escapes, unicode and -0',
      { users: [{ b: 'é✓"', a: [1, 2.5, null, true, { z: {}, y: [] }] }], 'k"ey': -0 },
      'f04131b5e3cf97be5bbc4f5f9227369e3f3a7cd5c9bd3a4b7f1fa74947a4d82e',
    ],
  ])('when %s is hashed, then the hash is the one stored events already carry', (_name, value, hash) => {
    expect(contentHash(value)).toBe(hash);
  });

  it('when the value is parsed back, then it equals the original', () => {
    const value = nacho.purchaseAndroid();
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});

describe('contentHash', () => {
  it.each<[string, unknown, unknown]>([
    ['reordered top-level keys', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['reordered nested keys', { data: { x: 1, y: 2 } }, { data: { y: 2, x: 1 } }],
    [
      'the unavailable-users fixture with keys swapped',
      nacho.unavailableUsers(),
      { tokenInvalidUserIds: ['user-0107'], tokenNotFoundUserIds: ['user-0001', 'user-0002'] },
    ],
  ])('when the bodies have %s, then the hashes are equal', (_name, left, right) => {
    expect(contentHash(left)).toBe(contentHash(right));
  });

  it.each<[string, unknown, unknown]>([
    ['a changed value', { a: 1 }, { a: 2 }],
    ['a changed nested value', nacho.purchaseIos(), nacho.purchaseIos({ data: { transactionId: 'other' } })],
    ['an added key', { a: 1 }, { a: 1, b: 1 }],
    ['a reordered array', { ids: ['a', 'b'] }, { ids: ['b', 'a'] }],
    ['a changed price', nacho.purchaseIos(), nacho.purchaseIos({ price: 1201 })],
  ])('when the bodies differ by %s, then the hashes differ', (_name, left, right) => {
    expect(contentHash(left)).not.toBe(contentHash(right));
  });

  it('when hashing, then the result is a 64-character lowercase hex sha256', () => {
    expect(contentHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('dedupeKey', () => {
  it.each<[string, EventPayload, string]>([
    ['a production purchase', purchase(), 'purchase:production:5012'],
    ['a sandbox purchase', purchase({ environment: 'sandbox' }), 'purchase:sandbox:5012'],
    ['a refund in UTC', refund(), 'refund:production:5013:2026-03-05T13:40:12.900Z'],
    ['a refund with a +09:00 offset', refund({ refundedAt: '2026-03-05T22:40:12.900+09:00' }), 'refund:production:5013:2026-03-05T13:40:12.900Z'],
    ['a refund without milliseconds', refund({ refundedAt: '2026-03-05T13:40:12Z' }), 'refund:production:5013:2026-03-05T13:40:12.000Z'],
    ['a sandbox refund', refund({ environment: 'sandbox' }), 'refund:sandbox:5013:2026-03-05T13:40:12.900Z'],
  ])('when the event is %s, then the key is built from environment, iapLogId (and refundedAt)', (_name, event, key) => {
    expect(dedupeKey(event)).toBe(key);
  });

  it.each<[string, EventPayload, EventPayload]>([
    ['a purchase whose non-identity fields changed', purchase(), purchase({ price: 9999, purchasedAt: '2026-03-09T00:00:00.000Z' })],
    [
      'a refund in UTC and the same instant at +09:00',
      refund({ refundedAt: '2026-03-05T13:40:12.900Z' }),
      refund({ refundedAt: '2026-03-05T22:40:12.900+09:00' }),
    ],
    [
      'a refund in UTC and the same instant at -05:00',
      refund({ refundedAt: '2026-03-05T13:40:12.900Z' }),
      refund({ refundedAt: '2026-03-05T08:40:12.900-05:00' }),
    ],
    [
      'a refund with and without trailing zero milliseconds',
      refund({ refundedAt: '2026-03-05T13:40:12Z' }),
      refund({ refundedAt: '2026-03-05T13:40:12.000Z' }),
    ],
    [
      'unavailable-users lists with keys reordered',
      unavailable({ tokenNotFoundUserIds: ['u1'], tokenInvalidUserIds: ['u2'] }),
      unavailable({ tokenInvalidUserIds: ['u2'], tokenNotFoundUserIds: ['u1'] }),
    ],
  ])('when comparing %s, then the keys are equal', (_name, left, right) => {
    expect(dedupeKey(left)).toBe(dedupeKey(right));
  });

  it.each<[string, EventPayload, EventPayload]>([
    ['a sandbox and a production purchase with the same iapLogId', purchase({ environment: 'sandbox' }), purchase({ environment: 'production' })],
    ['a sandbox and a production refund with the same iapLogId and time', refund({ environment: 'sandbox' }), refund({ environment: 'production' })],
    ['purchases with different iapLogIds', purchase({ iapLogId: 1 }), purchase({ iapLogId: 2 })],
    [
      'two partial refunds of one purchase at different times',
      refund({ refundedAt: '2026-03-05T13:40:12.900Z' }),
      refund({ refundedAt: '2026-03-05T13:40:13.900Z' }),
    ],
    ['a purchase and its refund', purchase({ iapLogId: 5013 }), refund({ iapLogId: 5013 })],
    ['unavailable-users lists with different ids', unavailable({ tokenNotFoundUserIds: ['u1'] }), unavailable({ tokenNotFoundUserIds: ['u2'] })],
    ['the same ids in different lists', unavailable({ tokenNotFoundUserIds: ['u1'] }), unavailable({ tokenInvalidUserIds: ['u1'] })],
  ])('when comparing %s, then the keys differ', (_name, left, right) => {
    expect(dedupeKey(left)).not.toBe(dedupeKey(right));
  });

  it('when the event is an unavailable-users list, then the key is its content hash', () => {
    const payload = nacho.unavailableUsers() as UnavailableUsersPayload;
    expect(dedupeKey({ type: 'unavailable_users', payload })).toBe(`unavailable_users:${contentHash(payload)}`);
  });
});
