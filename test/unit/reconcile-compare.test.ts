import { dedupeKey } from '../../src/nachocode/dedupe';
import { purchaseSchema, refundSchema } from '../../src/nachocode/schemas';
import { comparableFields, compareFields, identityKey, identityOf, type ComparableFields } from '../../src/reconciliation/compare';
import { nacho } from '../support/fixtures';

describe('identityKey', () => {
  it.each([
    ['an iOS purchase', 'purchase', nacho.purchaseIos()],
    ['an Android purchase', 'purchase', nacho.purchaseAndroid()],
    ['a refund', 'refund', nacho.refundAndroid()],
    ['a refund with an offset time', 'refund', nacho.refundAndroid({ refundedAt: '2026-03-05T22:40:12+09:00' })],
  ] as const)('when built from %s, then it is the receiver dedupe key', (_case, type, body) => {
    const payload = type === 'purchase' ? purchaseSchema.parse(body) : refundSchema.parse(body);
    const expected = type === 'purchase' ? dedupeKey({ type, payload: purchaseSchema.parse(body) }) : dedupeKey({ type, payload: refundSchema.parse(body) });
    expect(identityKey(identityOf(type, payload))).toBe(expected);
  });
});

describe('comparableFields', () => {
  it('when a purchase has store data, then the transaction id and normalised purchase time are picked', () => {
    expect(comparableFields('purchase', nacho.purchaseAndroid({ purchasedAt: '2026-03-02T18:01:51.021+09:00' }))).toEqual({
      userId: 'user-19c2',
      productId: 'com.example.app.premium_unlock',
      nachoProductId: 'NP-NXGLSTOEXK-0002',
      productType: 'non-consumable',
      os: 'android',
      quantity: 1,
      price: 4900,
      transactionId: 'GPA.3312-4410-8876-10293',
      purchasedAt: '2026-03-02T09:01:51.021Z',
    });
  });
});

describe('compareFields', () => {
  const base: ComparableFields = { userId: 'u1', productId: 'p1', quantity: 2, price: 1200, transactionId: 't1', purchasedAt: '2026-03-02T00:00:00.000Z' };
  it.each([
    ['everything agrees', {}, {}, []],
    ['the user differs', { userId: 'u2' }, {}, ['userId']],
    ['the price differs', { price: 1300 }, {}, ['price']],
    ['the price differs only by float noise', { price: 1200.0000000001 }, {}, []],
    ['quantity and product differ', { quantity: 3, productId: 'p2' }, {}, ['productId', 'quantity']],
    ['the file lacks the transaction id', { transactionId: null }, {}, []],
    ['the ledger lacks the transaction id', {}, { transactionId: null }, []],
    ['the file has no purchase time column', { purchasedAt: undefined }, {}, []],
    ['the purchase time differs', { purchasedAt: '2026-03-03T00:00:00.000Z' }, {}, ['purchasedAt']],
  ])('when %s, then the mismatched fields are %j', (_case, file, ledger, fields) => {
    const mismatches = compareFields({ ...base, ...file }, { ...base, ...ledger });
    expect(mismatches.map((m) => m.field)).toEqual(fields);
  });

  it('when a field differs, then both values are reported', () => {
    expect(compareFields({ ...base, price: 1300 }, base)).toEqual([{ field: 'price', file: 1300, ledger: 1200 }]);
  });
});
