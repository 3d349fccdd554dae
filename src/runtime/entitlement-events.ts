import { entitlementTransitions, type OnEntitlementChanges } from '../ledger';
import { emitEntitlementUpdates, type Emit, type EntitlementAudience } from '../outbound';

/**
 * entitlement.updated for the ledger's changes, inside their transaction (an apply's, a
 * consumption's). While no subscription asks for it, this costs a cached answer: no query, no
 * before/after, so the apply hot path stays as it was.
 */
export function entitlementEvents(audience: EntitlementAudience, emit: Emit): OnEntitlementChanges {
  return async (tx, changes, now) => {
    if (changes.length === 0 || !(await audience.wanted(tx, now))) return false;
    return (await emitEntitlementUpdates(tx, emit, await entitlementTransitions(tx, changes), now)) > 0;
  };
}
