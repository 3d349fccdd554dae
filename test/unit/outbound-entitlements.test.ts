import { EntitlementAudience, entitlementUpdated } from '../../src/outbound/entitlements';
import { wireBody } from '../../src/outbound/request';
import type { Queryable } from '../../src/storage/port';

// entitlement.updated on the wire, and the remembered answer that keeps the apply path free of
// queries while nobody subscribes.

const transition = {
  cause: 'refund' as const,
  eventId: 'evt_1',
  idempotencyKey: null,
  environment: 'production',
  userId: 'user-19c2',
  productId: 'premium',
  nachoProductId: 'NP-2',
  productType: 'non-consumable' as const,
  sequence: 2,
  before: { purchased: 1, refunded: 0, consumed: 0, balance: 1, active: true },
  after: { purchased: 1, refunded: 1, consumed: 0, balance: 0, active: false },
};

describe('wireBody', () => {
  it('when the event is entitlement.updated, then the body is { type, timestamp, data } with the emission time', () => {
    const envelope = entitlementUpdated(transition);
    expect(wireBody({ envelope, emittedAt: Date.UTC(2026, 2, 5, 13, 40, 13) })).toEqual({
      type: 'entitlement.updated',
      timestamp: '2026-03-05T13:40:13.000Z',
      data: { ...transition },
    });
  });

  it("when the event is ABC's, then the body is ABC's envelope, key for key", () => {
    const body = wireBody({ envelope: { event: 'ISSUE_CREATION', data: { issue: { id: 1 } } }, emittedAt: 0 });
    expect(JSON.stringify(body)).toBe('{"event":"ISSUE_CREATION","data":{"issue":{"id":1}}}');
  });
});

/** A database whose webhooks table holds `rows`, counting the queries it answers. */
function fakeDb(rows: Array<{ projectId: number; events: string }>) {
  const db = {
    queries: 0,
    rows,
    all: async <T>() => {
      db.queries += 1;
      return db.rows as T[];
    },
    get: async () => undefined,
    run: async () => 0,
  };
  return db as typeof db & Queryable;
}

const wanting = { projectId: 1, events: JSON.stringify([{ type: 'entitlement.updated', status: 'ACTIVE', channelIds: [] }]) };
const inactive = { projectId: 1, events: JSON.stringify([{ type: 'entitlement.updated', status: 'INACTIVE', channelIds: [] }]) };

describe('EntitlementAudience', () => {
  it.each<[string, Array<{ projectId: number; events: string }>, boolean]>([
    ['no subscription', [], false],
    ['a subscription with the event ACTIVE', [wanting], true],
    ['a subscription with the event INACTIVE', [inactive], false],
  ])('when there is %s, then wanted() says %s', async (_name, rows, expected) => {
    expect(await new EntitlementAudience(1000).wanted(fakeDb(rows), 0)).toBe(expected);
  });

  it('when asked again within the time, then the answer is remembered; after it, or after changed(), it is asked again', async () => {
    const db = fakeDb([]);
    const audience = new EntitlementAudience(1000);
    expect(await audience.wanted(db, 0)).toBe(false);
    expect(await audience.wanted(db, 999)).toBe(false);
    expect(db.queries).toBe(1);

    db.rows = [wanting];
    expect(await audience.wanted(db, 1000)).toBe(true);
    expect(db.queries).toBe(2);

    db.rows = [];
    audience.changed();
    expect(await audience.wanted(db, 1001)).toBe(false);
    expect(db.queries).toBe(3);
  });

  it('when changed() comes while an answer is being read, then that answer is not remembered', async () => {
    const db = fakeDb([]);
    const audience = new EntitlementAudience(1000);
    const reading = audience.wanted(db, 0);
    audience.changed();
    await reading;
    await audience.wanted(db, 1);
    expect(db.queries).toBe(2);
  });

  it('when the clock goes back, then the remembered answer is not trusted', async () => {
    const db = fakeDb([]);
    const audience = new EntitlementAudience(1000);
    await audience.wanted(db, 5000);
    await audience.wanted(db, 4000);
    expect(db.queries).toBe(2);
  });
});
