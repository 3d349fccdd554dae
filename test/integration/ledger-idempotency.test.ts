import { entitlementsFor, entriesForEvent } from '../../src/ledger';
import { sql } from '../../src/storage/sql';
import { nacho } from '../support/fixtures';
import { T0, eventRow, ledgerHelpers, useLedgerDatabase } from './ledger-support';

const { storage, db, apply, store } = ledgerHelpers(useLedgerDatabase());

async function entitlement(userId: string, environment: 'sandbox' | 'production', productId: string) {
  return (await entitlementsFor(db(), userId, environment)).find((e) => e.productId === productId);
}

describe('applying the same thing twice', () => {
  it('when the same event is applied twice, then the second run is skipped and one entry remains', async () => {
    const id = await store('purchase', nacho.purchaseIos());
    await apply(id);

    expect(await apply(id, T0 + 2000)).toEqual({ status: 'skipped', applied: [], changes: [] });

    expect(await entriesForEvent(db(), id)).toHaveLength(1);
    expect((await eventRow(db(), id)).appliedAt).toBe(T0 + 1000);
    expect(await entitlement('user-7f3a', 'production', 'com.example.app.coins100')).toMatchObject({ purchased: 1, balance: 1 });
  });

  it('when applied events are reset and applied again, then the unique entry keys keep one entry each', async () => {
    const purchase = await store('purchase', nacho.purchaseIosMulti());
    const refund = await store('refund', nacho.refundIosPartial());
    await apply(purchase);
    await apply(refund);
    await storage().write((tx) => tx.run(sql`UPDATE events SET status = 'received'`));

    // Nothing new is written, so nothing is reported as changed.
    expect((await apply(purchase)).changes).toEqual([]);
    expect((await apply(refund)).changes).toEqual([]);

    expect(await entriesForEvent(db(), purchase)).toHaveLength(1);
    expect(await entriesForEvent(db(), refund)).toHaveLength(1);
    expect(await entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ purchased: 5, refunded: 2, balance: 3 });
  });

  it('when a held refund is applied again before its purchase, then it stays held', async () => {
    const refund = await store('refund', nacho.refundAndroid());
    await apply(refund);

    expect(await apply(refund, T0 + 2000)).toEqual({ status: 'held', applied: [], changes: [] });
    expect(await eventRow(db(), refund)).toMatchObject({ status: 'held', updatedAt: T0 + 2000 });
  });

  it('when another event carries an already recorded purchase, then it is skipped without a second grant', async () => {
    await apply(await store('purchase', nacho.purchaseAndroid()));
    // The receiver's dedupe key would refuse this row; an import under another key is how it happens.
    const replay = await store('purchase', nacho.purchaseAndroid(), T0 + 1, 'import:1');

    expect(await apply(replay)).toEqual({ status: 'skipped', applied: [], changes: [] });

    expect(await entriesForEvent(db(), replay)).toEqual([]);
    expect((await eventRow(db(), replay)).status).toBe('applied');
    expect(await entitlement('user-19c2', 'production', 'com.example.app.premium_unlock')).toMatchObject({ purchased: 1 });
  });

  it('when the event does not exist, then applying throws so the job fails visibly', async () => {
    await expect(apply('evt_missing')).rejects.toThrow('event evt_missing not found');
  });
});
