import type { Tx } from '../storage/port';
import { subjectKey, transitionsFrom, type EntitlementChange, type EntitlementTransition } from './changes';
import { balanceLockKey } from './consumption';
import { entitlementState } from './repository/entries';

/**
 * The before and after of each change, read inside the transaction that wrote them. The balance
 * lock of each entitlement (taken in key order, after any purchase lock, as every apply takes them)
 * orders this read with every other writer that reads it here: on PostgreSQL two transactions
 * changing one entitlement at once get a chain of states, the second's `before` being the first's
 * `after`, and sequences that never repeat.
 */
export async function entitlementTransitions(tx: Tx, changes: readonly EntitlementChange[]): Promise<EntitlementTransition[]> {
  const bySubject = new Map<string, EntitlementChange[]>();
  for (const change of changes) {
    const key = subjectKey(change);
    bySubject.set(key, [...(bySubject.get(key) ?? []), change]);
  }
  const transitions = new Map<EntitlementChange, EntitlementTransition>();
  for (const key of [...bySubject.keys()].sort()) {
    const group = bySubject.get(key) ?? [];
    const { environment, userId, productId } = group[0];
    await tx.lock(balanceLockKey(environment, userId, productId));
    const { entries, nachoProductId, ...totals } = await entitlementState(tx, environment, userId, productId);
    transitionsFrom(group, { totals, entries, nachoProductId }).forEach((t, i) => transitions.set(group[i], t));
  }
  return changes.map((change) => transitions.get(change) as EntitlementTransition);
}
