import { addEntry, anomaliesFor, applyEvent, entitlementsFor, entriesForEvent } from '../../src/ledger';
import { nacho } from '../support/fixtures';
import { T0, storeEvent, useLedgerDatabase } from './ledger-support';

const database = useLedgerDatabase();
const db = () => database().db;

const apply = (id: string, now = T0 + 1000) => applyEvent(db(), id, now);

function gems(environment: 'sandbox' | 'production' = 'sandbox') {
  return entitlementsFor(db(), 'user-7f3a', environment).find((e) => e.productId === 'com.example.app.gems10');
}

describe('over_refund', () => {
  it('when a refund asks for more than remains, then only the remainder is revoked and the excess is recorded', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIosMulti()));
    apply(storeEvent(db(), 'refund', nacho.refundIosPartial({ refundQuantity: 4 })));
    const refund = storeEvent(db(), 'refund', nacho.refundIosPartial({ refundQuantity: 3, refundedAt: '2026-03-06T00:00:00.000Z' }));

    apply(refund);
    apply(refund);

    expect(entriesForEvent(db(), refund)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 1, amount: 60 })]);
    expect(gems()).toMatchObject({ refunded: 5, balance: 0, active: false });
    expect(anomaliesFor(db(), { code: 'over_refund' })).toEqual([
      expect.objectContaining({
        anomalyKey: `${refund}:over_refund`,
        eventId: refund,
        environment: 'sandbox',
        userId: 'user-7f3a',
        productId: 'com.example.app.gems10',
        details: expect.objectContaining({ requested: 3, applied: 1, purchased: 5, previouslyRefunded: 4 }),
      }),
    ]);
  });

  it('when everything was already refunded, then a further refund revokes nothing and is recorded', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseAndroid()));
    apply(storeEvent(db(), 'refund', nacho.refundAndroid()));
    const again = storeEvent(db(), 'refund', nacho.refundAndroid({ refundedAt: '2026-03-06T00:00:00.000Z' }));

    expect(apply(again).status).toBe('applied');

    expect(entriesForEvent(db(), again)).toEqual([]);
    expect(anomaliesFor(db(), { eventId: again })).toEqual([
      expect.objectContaining({ code: 'over_refund', details: expect.objectContaining({ requested: 1, applied: 0, previouslyRefunded: 1 }) }),
    ]);
  });
});

describe('negative_balance', () => {
  it('when a consumable is refunded after being spent, then the balance goes negative and it is recorded', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIosMulti()));
    // Simulates the app spending 4 of the 5 units.
    addEntry(db(), {
      entryKey: 'consume:test-1',
      environment: 'sandbox',
      userId: 'user-7f3a',
      productId: 'com.example.app.gems10',
      productType: 'consumable',
      kind: 'consume',
      quantity: 4,
      createdAt: T0 + 500,
    });
    const refund = storeEvent(db(), 'refund', nacho.refundIosPartial());

    apply(refund);

    expect(gems()).toMatchObject({ purchased: 5, refunded: 2, consumed: 4, balance: -1, active: false });
    expect(anomaliesFor(db(), { code: 'negative_balance' })).toEqual([
      expect.objectContaining({
        eventId: refund,
        userId: 'user-7f3a',
        details: expect.objectContaining({ balance: -1, purchased: 5, refunded: 2, consumed: 4 }),
      }),
    ]);
  });

  it('when a consumable is refunded before being spent, then no anomaly is recorded', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIosMulti()));
    apply(storeEvent(db(), 'refund', nacho.refundIosPartial()));
    expect(anomaliesFor(db())).toEqual([]);
  });
});

describe('store transaction ids', () => {
  it('when a transaction id reappears under another iapLogId, then duplicate_transaction_id is recorded and both grant', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIos()));
    const dup = storeEvent(db(), 'purchase', nacho.purchaseIos({ iapLogId: 6000 }));

    apply(dup);

    expect(anomaliesFor(db())).toEqual([
      expect.objectContaining({
        code: 'duplicate_transaction_id',
        eventId: dup,
        environment: 'production',
        details: expect.objectContaining({
          transactionId: '2000000871234501',
          iapLogId: 6000,
          seenUnder: [expect.objectContaining({ environment: 'production', iapLogId: 5012 })],
        }),
      }),
    ]);
    expect(entriesForEvent(db(), dup)).toHaveLength(1);
  });

  it('when a transaction id was seen in the other environment, then environment_mismatch is recorded', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIosMulti()));
    const prod = storeEvent(db(), 'purchase', nacho.purchaseIosMulti({ environment: 'production' }));

    apply(prod);

    expect(anomaliesFor(db())).toEqual([
      expect.objectContaining({
        code: 'environment_mismatch',
        eventId: prod,
        environment: 'production',
        details: expect.objectContaining({
          transactionId: '2000000871239999',
          seenIn: [expect.objectContaining({ environment: 'sandbox', iapLogId: 5020 })],
        }),
      }),
    ]);
    expect(anomaliesFor(db(), { environment: 'sandbox' })).toEqual([]);
  });
});

describe('refund_mismatch', () => {
  it('when a refund names another user and product, then it is recorded and applied to the purchase', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseIosMulti()));
    const refund = storeEvent(db(), 'refund', nacho.refundIosPartial({ userId: 'user-other', productId: 'com.example.other' }));

    apply(refund);

    expect(anomaliesFor(db(), { code: 'refund_mismatch' })).toEqual([
      expect.objectContaining({
        eventId: refund,
        userId: 'user-7f3a',
        productId: 'com.example.app.gems10',
        details: expect.objectContaining({
          refund: { userId: 'user-other', productId: 'com.example.other' },
          purchase: { userId: 'user-7f3a', productId: 'com.example.app.gems10' },
        }),
      }),
    ]);
    expect(gems()).toMatchObject({ refunded: 2, balance: 3 });
    expect(entitlementsFor(db(), 'user-other', 'sandbox')).toEqual([]);
  });
});
