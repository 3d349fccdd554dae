import { changeOf, transitionsFrom, type EntitlementChange } from '../../src/ledger/changes';

// The before/after of entitlement.updated: pure arithmetic from the state after a transaction's
// last change, walked back one entry at a time.

const subject = { environment: 'sandbox', userId: 'user-7f3a', productId: 'gems', nachoProductId: 'NP-1' };
const grant = (quantity: number, eventId = 'evt_p') => changeOf({ ...subject, kind: 'grant', quantity, eventId }, 'purchase', 'consumable');
const revoke = (quantity: number, eventId = 'evt_r') => changeOf({ ...subject, kind: 'revoke', quantity, eventId }, 'refund', 'consumable');
const consume = (quantity: number) => changeOf({ ...subject, kind: 'consume', quantity }, 'consumption', 'consumable', 'order-1');
const state = (purchased: number, refunded: number, consumed: number, balance: number, active: boolean) => ({ purchased, refunded, consumed, balance, active });

describe('changeOf', () => {
  it.each<[string, EntitlementChange, EntitlementChange['delta']]>([
    ['a grant adds to purchased', grant(5), { purchased: 5, refunded: 0, consumed: 0 }],
    ['a revoke adds to refunded', revoke(2), { purchased: 0, refunded: 2, consumed: 0 }],
    ['a consume adds to consumed', consume(1), { purchased: 0, refunded: 0, consumed: 1 }],
  ])('when %s, then the delta says so', (_name, change, delta) => {
    expect(change.delta).toEqual(delta);
  });

  it('when a consumption is recorded, then it names its key and no event', () => {
    expect(consume(1)).toMatchObject({ cause: 'consumption', eventId: null, idempotencyKey: 'order-1' });
  });
});

describe('transitionsFrom', () => {
  it.each<
    [
      string,
      EntitlementChange[],
      { purchased: number; refunded: number; consumed: number },
      number,
      Array<[number, ReturnType<typeof state>, ReturnType<typeof state>]>,
    ]
  >([
    ['a first purchase', [grant(5)], { purchased: 5, refunded: 0, consumed: 0 }, 1, [[1, state(0, 0, 0, 0, false), state(5, 0, 0, 5, true)]]],
    ['a partial refund after spending', [revoke(2)], { purchased: 5, refunded: 2, consumed: 1 }, 3, [[3, state(5, 0, 1, 4, true), state(5, 2, 1, 2, true)]]],
    [
      'a refund driving the balance below zero',
      [revoke(5)],
      { purchased: 5, refunded: 5, consumed: 2 },
      3,
      [[3, state(5, 0, 2, 3, true), state(5, 5, 2, -2, false)]],
    ],
    [
      'a purchase releasing two held refunds',
      [grant(5), revoke(2, 'evt_r1'), revoke(3, 'evt_r2')],
      { purchased: 5, refunded: 5, consumed: 0 },
      3,
      [
        [1, state(0, 0, 0, 0, false), state(5, 0, 0, 5, true)],
        [2, state(5, 0, 0, 5, true), state(5, 2, 0, 3, true)],
        [3, state(5, 2, 0, 3, true), state(5, 5, 0, 0, false)],
      ],
    ],
    ['a consumption', [consume(1)], { purchased: 5, refunded: 0, consumed: 1 }, 2, [[2, state(5, 0, 0, 5, true), state(5, 0, 1, 4, true)]]],
  ])('when %s, then each change gets its before, after and sequence', (_name, changes, totals, entries, expected) => {
    const transitions = transitionsFrom(changes, { totals, entries, nachoProductId: 'NP-1' });
    expect(transitions.map((t) => [t.sequence, t.before, t.after])).toEqual(expected);
    expect(transitions.map((t) => t.eventId)).toEqual(changes.map((c) => c.eventId));
  });

  it('when a non-consumable is refunded, then consumption does not count and it is no longer active', () => {
    const change = changeOf({ ...subject, kind: 'revoke', quantity: 1, eventId: 'evt_r' }, 'refund', 'non-consumable');
    const [t] = transitionsFrom([change], { totals: { purchased: 1, refunded: 1, consumed: 0 }, entries: 2, nachoProductId: null });
    expect([t.before, t.after]).toEqual([state(1, 0, 0, 1, true), state(1, 1, 0, 0, false)]);
  });

  it("when the change lacks a nacho product id, then the entitlement's is used", () => {
    const change = changeOf({ ...subject, nachoProductId: null, kind: 'consume', quantity: 1 }, 'consumption', 'consumable', 'k');
    const [t] = transitionsFrom([change], { totals: { purchased: 2, refunded: 0, consumed: 1 }, entries: 2, nachoProductId: 'NP-9' });
    expect(t.nachoProductId).toBe('NP-9');
    expect(t).not.toHaveProperty('delta');
  });
});
