import {
  applyEvent,
  consumeInTransaction,
  entitlementsFor,
  entitlementTransitions,
  entriesForEvent,
  recordConsumption,
  type ConsumptionInput,
  type EntitlementTransition,
} from '../../src/ledger';
import { AppError } from '../../src/shared/errors';
import { ManualClock } from '../../src/shared/clock';
import { openStorage } from '../../src/storage';
import type { Storage } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/backend';
import { nacho } from '../support/fixtures';
import { T0, eventRow, storeEvent } from './ledger-support';

// The ledger's locks (tx.lock) between two storages on one database, as two instances of a
// cluster have them: on PostgreSQL the two apply at the same moment and only the advisory locks
// keep a read that decides a write from missing the other's write; on SQLite one write
// transaction runs at a time across connections, and the same outcomes must simply hold.

jest.setTimeout(120_000);

const ROUNDS = 30;

describe('ledger locks across two storages on one database', () => {
  let first: TestStorage;
  let second: Storage;

  beforeEach(async () => {
    first = await freshStorage();
    const { database } = first;
    // A second storage of its own on the same database: another SQLite connection (and committer)
    // on the same file, or another PostgreSQL pool on the same URL.
    second = await openStorage(
      database.url === null ? { backend: 'sqlite', path: database.env.DATABASE_PATH } : { backend: 'postgres', url: database.url, poolSize: 4 },
      { busyTimeoutMs: 5000, commitMaxBatch: 512 },
    );
  });

  afterEach(async () => {
    await second?.close();
    await first?.remove();
  });

  it(`when a purchase and its refund are applied at once by two storages (${ROUNDS} rounds), then the refund is never left held`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const iapLogId = 70_000 + round;
      const ids = { originalTransactionId: `tx-race-${round}`, transactionId: `tx-race-${round}` };
      const purchase = await storeEvent(first.storage, 'purchase', nacho.purchaseIosMulti({ iapLogId, data: ids }), T0 + round);
      const refund = await storeEvent(first.storage, 'refund', nacho.refundIosPartial({ iapLogId, data: ids }), T0 + round);
      const applyPurchase = () => first.storage.write((tx) => applyEvent(tx, purchase, T0 + 1000));
      const applyRefund = () => second.write((tx) => applyEvent(tx, refund, T0 + 1000));
      // Either one may start first; alternating gives each order its turn.
      const [purchased, refunded] =
        round % 2 === 0
          ? await Promise.all([applyPurchase(), applyRefund()])
          : await Promise.all([applyRefund(), applyPurchase()]).then(([r, p]) => [p, r] as const);

      expect(purchased.status).toBe('applied');
      // Held only when it ran first; then the purchase released it in its own transaction.
      if (refunded.status === 'held') expect(purchased.applied.map((a) => a.eventId)).toEqual([purchase, refund]);
      else expect(refunded.status).toBe('applied');
      const status = (await eventRow(first.storage.read, refund)).status;
      if (status !== 'applied') throw new Error(`round ${round}: the refund was left ${status} (refund apply: ${refunded.status})`);
      expect(await entriesForEvent(first.storage.read, refund)).toEqual([expect.objectContaining({ kind: 'revoke', quantity: 2 })]);
      const [row] = await first.storage.read.all<{ refundedQuantity: number }>(
        sql`SELECT refunded_quantity AS "refundedQuantity" FROM purchases WHERE environment = 'sandbox' AND iap_log_id = ${iapLogId}`,
      );
      expect(row).toEqual({ refundedQuantity: 2 });
    }
    // Every round's 5 granted, 2 revoked: 30 × 3 left.
    const [gems] = await entitlementsFor(first.storage.read, 'user-7f3a', 'sandbox');
    expect(gems).toMatchObject({ purchased: 5 * ROUNDS, refunded: 2 * ROUNDS, balance: 3 * ROUNDS });
  });

  it(`when two storages consume the last unit at once (${ROUNDS} rounds), then exactly one succeeds and the other is refused`, async () => {
    const clock = new ManualClock(T0 + 2000);
    for (let round = 0; round < ROUNDS; round += 1) {
      // A user of its own per round, holding exactly one unit.
      const userId = `user-race-${round}`;
      const ids = { originalTransactionId: `tx-last-${round}`, transactionId: `tx-last-${round}` };
      const purchase = await storeEvent(first.storage, 'purchase', nacho.purchaseIos({ userId, iapLogId: 80_000 + round, data: ids }));
      await first.storage.write((tx) => applyEvent(tx, purchase, T0 + 1000));
      const spend = (idempotencyKey: string): ConsumptionInput => ({
        environment: 'production',
        productId: 'com.example.app.coins100',
        quantity: 1,
        idempotencyKey,
      });

      const settled = await Promise.allSettled([
        recordConsumption({ storage: first.storage, clock }, userId, spend(`a-${round}`)),
        recordConsumption({ storage: second, clock }, userId, spend(`b-${round}`)),
      ]);

      const succeeded = settled.filter((s) => s.status === 'fulfilled');
      const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0]).toMatchObject({ value: { duplicate: false, balance: { consumed: 1, balance: 0 } } });
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(AppError);
      expect(refused[0]).toMatchObject({ code: 'insufficient_balance', details: { available: 0, requested: 1 } });
      expect(await entitlementsFor(first.storage.read, userId, 'production')).toEqual([
        expect.objectContaining({ productId: 'com.example.app.coins100', purchased: 1, consumed: 1, balance: 0 }),
      ]);
    }
  });

  it('when purchases and consumptions of one entitlement commit at once on two storages, then their before/after form one chain', async () => {
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        storeEvent(
          first.storage,
          'purchase',
          nacho.purchaseIosMulti({ iapLogId: 90_000 + i, data: { originalTransactionId: `tx-chain-${i}`, transactionId: `tx-chain-${i}` } }),
          T0 + i,
        ),
      ),
    );
    const storages = [first.storage, second];
    // Each transaction reads its transitions where entitlement.updated reads them, before it commits.
    const apply = (i: number) => storages[i % 2].write(async (tx) => entitlementTransitions(tx, (await applyEvent(tx, ids[i], T0 + 1000)).changes));
    const spend = (i: number) =>
      storages[(i + 1) % 2].write(async (tx) => {
        const input: ConsumptionInput = { environment: 'sandbox', productId: 'com.example.app.gems10', quantity: 1, idempotencyKey: `chain-${i}` };
        const { change } = await consumeInTransaction(tx, 'user-7f3a', input, T0 + 2000);
        return change === null ? [] : entitlementTransitions(tx, [change]);
      });
    // The first purchase alone, so there are units to spend; then purchases and consumptions at once.
    const opening = await apply(0);
    const settled = await Promise.allSettled(ids.slice(1).flatMap((_, i) => [apply(i + 1), spend(i)]));
    // A consumption may find too little (insufficient_balance) and write nothing: it has no transition.
    const transitions: EntitlementTransition[] = [...opening, ...settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []))];
    transitions.sort((a, b) => a.sequence - b.sequence);
    const chain = [transitions[0].before, ...transitions.map((t) => t.after)];

    // Each entry once, in one order, and each change starts where the one before it ended.
    expect(transitions.map((t) => t.sequence)).toEqual(transitions.map((_, k) => k + 1));
    expect(transitions[0].before).toEqual({ purchased: 0, refunded: 0, consumed: 0, balance: 0, active: false });
    transitions.forEach((t, k) => expect(t.before).toEqual(chain[k]));
    expect(transitions.filter((t) => t.cause === 'purchase')).toHaveLength(12);
    const [gems] = await entitlementsFor(first.storage.read, 'user-7f3a', 'sandbox');
    expect(gems).toMatchObject(chain[chain.length - 1]);
  });
});
