import { applyEvent, entitlementsFor, entriesForEvent } from '../../src/ledger';
import { nacho } from '../support/fixtures';
import { T0, eventRow, storeEvent, useLedgerDatabase } from './ledger-support';

const database = useLedgerDatabase();
const db = () => database().db;

const apply = (id: string, now = T0 + 1000) => applyEvent(db(), id, now);

function entitlement(userId: string, environment: 'sandbox' | 'production', productId: string) {
  return entitlementsFor(db(), userId, environment).find((e) => e.productId === productId);
}

describe('applying the same thing twice', () => {
  it('when the same event is applied twice, then the second run is skipped and one entry remains', () => {
    const id = storeEvent(db(), 'purchase', nacho.purchaseIos());
    apply(id);

    expect(apply(id, T0 + 2000)).toEqual({ status: 'skipped', applied: [] });

    expect(entriesForEvent(db(), id)).toHaveLength(1);
    expect(eventRow(db(), id).appliedAt).toBe(T0 + 1000);
    expect(entitlement('user-7f3a', 'production', 'com.example.app.coins100')).toMatchObject({ purchased: 1, balance: 1 });
  });

  it('when applied events are reset and applied again, then the unique entry keys keep one entry each', () => {
    const purchase = storeEvent(db(), 'purchase', nacho.purchaseIosMulti());
    const refund = storeEvent(db(), 'refund', nacho.refundIosPartial());
    apply(purchase);
    apply(refund);
    database().sqlite.prepare(`update events set status = 'received'`).run();

    apply(purchase);
    apply(refund);

    expect(entriesForEvent(db(), purchase)).toHaveLength(1);
    expect(entriesForEvent(db(), refund)).toHaveLength(1);
    expect(entitlement('user-7f3a', 'sandbox', 'com.example.app.gems10')).toMatchObject({ purchased: 5, refunded: 2, balance: 3 });
  });

  it('when a held refund is applied again before its purchase, then it stays held', () => {
    const refund = storeEvent(db(), 'refund', nacho.refundAndroid());
    apply(refund);

    expect(apply(refund, T0 + 2000)).toEqual({ status: 'held', applied: [] });
    expect(eventRow(db(), refund)).toMatchObject({ status: 'held', updatedAt: T0 + 2000 });
  });

  it('when another event carries an already recorded purchase, then it is skipped without a second grant', () => {
    apply(storeEvent(db(), 'purchase', nacho.purchaseAndroid()));
    // The receiver's dedupe key would refuse this row; an import under another key is how it happens.
    const replay = storeEvent(db(), 'purchase', nacho.purchaseAndroid(), T0 + 1, 'import:1');

    expect(apply(replay)).toEqual({ status: 'skipped', applied: [] });

    expect(entriesForEvent(db(), replay)).toEqual([]);
    expect(eventRow(db(), replay).status).toBe('applied');
    expect(entitlement('user-19c2', 'production', 'com.example.app.premium_unlock')).toMatchObject({ purchased: 1 });
  });

  it('when the event does not exist, then applying throws so the job fails visibly', () => {
    expect(() => apply('evt_missing')).toThrow('event evt_missing not found');
  });
});
