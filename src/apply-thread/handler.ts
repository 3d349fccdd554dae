import type { JobHandler } from '../delivery';
import { recordRefunds } from '../feedback';
import { createApplyHandler, type ApplyJobPayload } from '../ledger';
import type { Emit } from '../outbound';
import type { Clock } from '../shared/clock';

export interface ServiceApplyDeps {
  clock: Clock;
  emit: Emit;
  /** After the commit, once per event that became applied. */
  onApplied(receivedAt: number): void;
}

/**
 * The inbound apply handler as the service runs it, in process or in the apply thread: applying
 * an event also records its refunds as feedback (with their outbound events) in the same
 * transaction. One definition, so both ways of running it stay the same.
 */
export function serviceApplyHandler(deps: ServiceApplyDeps): JobHandler<ApplyJobPayload> {
  return createApplyHandler({
    clock: deps.clock,
    onApplied: (_eventId, receivedAt) => deps.onApplied(receivedAt),
    onCommit: (db, result, now) => recordRefunds({ db, emit: deps.emit, now }, result.applied.map((a) => a.eventId)),
  });
}
