import { addEntry, anomaliesFor, entitlementsFor, entriesForEvent } from '../../src/ledger';
import { nacho } from '../support/fixtures';
import { T0, ledgerHelpers, useLedgerDatabase } from './ledger-support';

const { storage, db, apply, store } = ledgerHelpers(useLedgerDatabase());

async function gems(environment: 'sandbox' | 'production' = 'sandbox') {
  return (await entitlementsFor(db(), 'user-7f3a', environment)).find((e) => e.productId === 'com.example.app.gems10');
}

describe('over_refund', () => {
  it('when a refund asks for more than remains, then only the remainder is revoked and the excess is recorded', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    await apply(await store('refund', nacho.refundIosPartial({ refundQuantity: 4 })));
    const refund = await store('refund', nacho.refundIosPartial({ refundQuantity: 3, refundedAt: '2026-03-06T00:00:00.000Z' }));

    await apply(refund);
    await apply(refund);

    expect(await entriesForEvent(db(), refund)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 1, amount: 60 })]);
    expect(await gems()).toMatchObject({ refunded: 5, balance: 0, active: false });
    expect(await anomaliesFor(db(), { code: 'over_refund' })).toEqual([
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

  it('when everything was already refunded, then a further refund revokes nothing and is recorded', async () => {
    await apply(await store('purchase', nacho.purchaseAndroid()));
    await apply(await store('refund', nacho.refundAndroid()));
    const again = await store('refund', nacho.refundAndroid({ refundedAt: '2026-03-06T00:00:00.000Z' }));

    expect((await apply(again)).status).toBe('applied');

    expect(await entriesForEvent(db(), again)).toEqual([]);
    expect(await anomaliesFor(db(), { eventId: again })).toEqual([
      expect.objectContaining({ code: 'over_refund', details: expect.objectContaining({ requested: 1, applied: 0, previouslyRefunded: 1 }) }),
    ]);
  });
});

describe('negative_balance', () => {
  it('when a consumable is refunded after being spent, then the balance goes negative and it is recorded', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    // Simulates the app spending 4 of the 5 units.
    await storage().write((tx) =>
      addEntry(tx, {
        entryKey: 'consume:test-1',
        environment: 'sandbox',
        userId: 'user-7f3a',
        productId: 'com.example.app.gems10',
        productType: 'consumable',
        kind: 'consume',
        quantity: 4,
        createdAt: T0 + 500,
      }),
    );
    const refund = await store('refund', nacho.refundIosPartial());

    await apply(refund);

    expect(await gems()).toMatchObject({ purchased: 5, refunded: 2, consumed: 4, balance: -1, active: false });
    expect(await anomaliesFor(db(), { code: 'negative_balance' })).toEqual([
      expect.objectContaining({
        eventId: refund,
        userId: 'user-7f3a',
        details: expect.objectContaining({ balance: -1, purchased: 5, refunded: 2, consumed: 4 }),
      }),
    ]);
  });

  it('when a consumable is refunded before being spent, then no anomaly is recorded', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    await apply(await store('refund', nacho.refundIosPartial()));
    expect(await anomaliesFor(db())).toEqual([]);
  });
});

describe('store transaction ids', () => {
  it('when a transaction id reappears under another iapLogId, then duplicate_transaction_id is recorded and both grant', async () => {
    await apply(await store('purchase', nacho.purchaseIos()));
    const dup = await store('purchase', nacho.purchaseIos({ iapLogId: 6000 }));

    await apply(dup);

    expect(await anomaliesFor(db())).toEqual([
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
    expect(await entriesForEvent(db(), dup)).toHaveLength(1);
  });

  it('when a transaction id was seen in the other environment, then environment_mismatch is recorded', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    const prod = await store('purchase', nacho.purchaseIosMulti({ environment: 'production' }));

    await apply(prod);

    expect(await anomaliesFor(db())).toEqual([
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
    expect(await anomaliesFor(db(), { environment: 'sandbox' })).toEqual([]);
  });
});

describe('refund_mismatch', () => {
  it('when a refund names another user and product, then it is recorded and applied to the purchase', async () => {
    await apply(await store('purchase', nacho.purchaseIosMulti()));
    const refund = await store('refund', nacho.refundIosPartial({ userId: 'user-other', productId: 'com.example.other' }));

    await apply(refund);

    expect(await anomaliesFor(db(), { code: 'refund_mismatch' })).toEqual([
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
    expect(await gems()).toMatchObject({ refunded: 2, balance: 3 });
    expect(await entitlementsFor(db(), 'user-other', 'sandbox')).toEqual([]);
  });
});
