import type { EntitlementTransition } from '../ledger';
import type { Queryable, Tx } from '../storage/port';
import type { Emit } from './emit';
import { ENTITLEMENT_UPDATED, type Envelope } from './types';
import { projectsWantingEntitlements } from './webhook-repository';

// entitlement.updated: what an app backend hears when a purchase, a refund or a consumption moves
// an entitlement. The ledger is not per project, so every subscription that asks for the event,
// in any project, gets every change; a filter (data.environment, data.productId…) narrows it.

export function entitlementUpdated(t: EntitlementTransition): Envelope {
  return {
    event: ENTITLEMENT_UPDATED,
    data: {
      userId: t.userId,
      environment: t.environment,
      productId: t.productId,
      nachoProductId: t.nachoProductId,
      productType: t.productType,
      cause: t.cause,
      eventId: t.eventId,
      idempotencyKey: t.idempotencyKey,
      sequence: t.sequence,
      before: t.before,
      after: t.after,
    },
  };
}

/**
 * The outbox for entitlement changes, inside their transaction: one event per change and per
 * project with a subscription that asks for it (emit then matches each subscription, its filter
 * and pause, as for ABC's events). Resolves to the deliveries queued.
 */
export async function emitEntitlementUpdates(tx: Tx, emit: Emit, transitions: readonly EntitlementTransition[], now: number): Promise<number> {
  if (transitions.length === 0) return 0;
  let queued = 0;
  for (const projectId of await projectsWantingEntitlements(tx)) {
    for (const transition of transitions) queued += (await emit(tx, { projectId, envelope: entitlementUpdated(transition) }, now)).deliveryIds.length;
  }
  return queued;
}

/**
 * Whether any subscription asks for entitlement.updated, remembered for `ttlMs`, so the ledger's
 * apply pays for nothing while nobody listens: no query, no before/after. A save of a subscription
 * calls changed() on this instance (and is announced to the others and to SQLite's apply thread),
 * so the next apply asks again; ttlMs bounds how long a lost announcement can go unnoticed. A
 * stale "yes" only costs the exact check that emitEntitlementUpdates makes anyway.
 */
export class EntitlementAudience {
  private known: { wanted: boolean; at: number } | null = null;
  /** Bumped by changed(): an answer read before it is not kept. */
  private generation = 0;

  constructor(private readonly ttlMs: number) {}

  async wanted(db: Queryable, now: number): Promise<boolean> {
    if (this.known !== null && now - this.known.at < this.ttlMs && now >= this.known.at) return this.known.wanted;
    const generation = this.generation;
    const wanted = (await projectsWantingEntitlements(db)).length > 0;
    if (generation === this.generation) this.known = { wanted, at: now };
    return wanted;
  }

  changed(): void {
    this.generation += 1;
    this.known = null;
  }
}
