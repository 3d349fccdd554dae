import type { JobHandler } from '../delivery/types';
import type { Clock } from '../shared/clock';
import type { Tx } from '../storage/port';
import { applyEvent } from './apply';
import { markEventFailed } from './repository/events';
import type { ApplyResult } from './types';

export const APPLY_EVENT_JOB = 'apply-iap-event';

export interface ApplyJobPayload {
  eventId: string;
}

export interface ApplyHandlerOptions {
  clock: Clock;
  /** Called once per event that became applied, after the commit (metrics: receipt-to-apply latency). */
  onApplied?: (eventId: string, receivedAt: number) => void;
  /**
   * Runs inside the apply transaction, after the event is applied (refunds recorded as feedback,
   * with their outbound events): it commits with the ledger change or not at all. A throw fails
   * the attempt like a failing apply.
   */
  onCommit?: (tx: Tx, result: ApplyResult, now: number) => Promise<void>;
}

/**
 * The job that applies a stored event. The work happens in `commit`, inside the transaction that
 * marks the job succeeded, so a crash can never leave the ledger changed and the job pending
 * (or the reverse).
 */
export function createApplyHandler(opts: ApplyHandlerOptions): JobHandler<ApplyJobPayload> {
  // Results wait here between the commit and afterSuccess; keyed by event id because one handler
  // serves many jobs concurrently.
  const committed = new Map<string, ApplyResult>();
  return {
    kind: APPLY_EVENT_JOB,
    // Applies finishing together share a transaction: under load that is one commit for dozens of
    // events. Each apply takes its own locks and reads what the ones before it wrote.
    commitsTogether: true,
    async handle(payload) {
      const eventId = eventIdOf(payload);
      return {
        commit: async (tx) => {
          const now = opts.clock.now();
          const result = await applyEvent(tx, eventId, now);
          await opts.onCommit?.(tx, result, now);
          committed.set(eventId, result);
        },
      };
    },
    async onFailure(tx, payload, failure) {
      // Never throw here: this runs in the transaction recording the failure, and a malformed
      // payload has no event to mark anyway.
      if (!hasEventId(payload)) return;
      const eventId = payload.eventId;
      committed.delete(eventId);
      await markEventFailed(tx, eventId, {
        status: failure.willRetry ? 'failed' : 'dead',
        now: opts.clock.now(),
        error: failure.error.message,
      });
    },
    afterSuccess(payload) {
      if (!hasEventId(payload)) return;
      const result = committed.get(payload.eventId);
      committed.delete(payload.eventId);
      for (const applied of result?.applied ?? []) opts.onApplied?.(applied.eventId, applied.receivedAt);
    },
  };
}

function hasEventId(payload: unknown): payload is ApplyJobPayload {
  const eventId: unknown = (payload as Partial<ApplyJobPayload> | null)?.eventId;
  return typeof eventId === 'string' && eventId.length > 0;
}

function eventIdOf(payload: ApplyJobPayload): string {
  if (!hasEventId(payload)) throw new Error(`${APPLY_EVENT_JOB} job payload lacks an eventId`);
  return payload.eventId;
}
