import { APPLY_EVENT_JOB, createApplyHandler } from '../../src/ledger';
import { ManualClock } from '../../src/shared/clock';
import type { ClaimedJob, FailureInfo, HandlerResult, JobContext } from '../../src/delivery/types';
import { nacho } from '../support/fixtures';
import { T0, eventRow, ledgerHelpers, useLedgerDatabase } from './ledger-support';

const { storage, db, store } = ledgerHelpers(useLedgerDatabase());

const context: JobContext = { jobId: 1, attempt: 1, signal: new AbortController().signal, now: () => T0 };

function claimed(eventId: string): ClaimedJob<{ eventId: string }> {
  const policy = { type: 'fixed' as const, intervalMs: 1000, maxAttempts: 3 };
  return {
    id: 1,
    kind: APPLY_EVENT_JOB,
    payload: { eventId },
    attempt: 1,
    maxAttempts: 3,
    policy,
    concurrencyKey: null,
    lockedBy: 'w1',
    lockedUntil: T0,
    runAt: T0,
    createdAt: T0,
  };
}

function failure(willRetry: boolean, message: string) {
  return { error: new Error(message), attempt: 1, willRetry, nextRunAt: willRetry ? T0 + 60_000 : null };
}

/** Runs a handler's commit in a transaction of its own, as the worker's job completion does. */
const commitIn = (result: HandlerResult | void) =>
  storage().write(async (tx) => {
    await result?.commit?.(tx);
  });

/** Reports a failure in a transaction of its own, as the worker's failure recording does. */
const reportFailure = (handler: ReturnType<typeof createApplyHandler>, payload: { eventId: string }, info: FailureInfo) =>
  storage().write(async (tx) => {
    await handler.onFailure?.(tx, payload, info);
  });

describe('the apply handler', () => {
  it('when the job runs, then commit applies the event inside the caller transaction and onApplied follows', async () => {
    const clock = new ManualClock(T0 + 3000);
    const onApplied = jest.fn();
    const handler = createApplyHandler({ clock, onApplied });
    const refund = await store('refund', nacho.refundIosPartial(), T0);
    const purchase = await store('purchase', nacho.purchaseIosMulti(), T0 + 1);

    expect(handler.kind).toBe(APPLY_EVENT_JOB);
    for (const eventId of [refund, purchase]) {
      const result = await handler.handle({ eventId }, context);
      await commitIn(result);
      handler.afterSuccess?.({ eventId }, claimed(eventId));
    }

    expect(await eventRow(db(), purchase)).toMatchObject({ status: 'applied', appliedAt: T0 + 3000 });
    expect(await eventRow(db(), refund)).toMatchObject({ status: 'applied', appliedAt: T0 + 3000 });
    expect(onApplied.mock.calls).toEqual([
      [purchase, T0 + 1],
      [refund, T0],
    ]);
  });

  it('when the transaction holding the commit rolls back, then nothing is applied', async () => {
    const handler = createApplyHandler({ clock: new ManualClock(T0) });
    const id = await store('purchase', nacho.purchaseIos());
    const result = await handler.handle({ eventId: id }, context);

    const failing = storage().write(async (tx) => {
      await result?.commit?.(tx);
      throw new Error('job completion failed');
    });

    await expect(failing).rejects.toThrow('job completion failed');
    expect((await eventRow(db(), id)).status).toBe('received');
  });

  it('when an attempt fails and will retry, then the event is failed; when it fails for good, then dead', async () => {
    const clock = new ManualClock(T0 + 10);
    const handler = createApplyHandler({ clock });
    const id = await store('purchase', nacho.purchaseIos());

    await reportFailure(handler, { eventId: id }, failure(true, 'disk on fire'));
    expect(await eventRow(db(), id)).toMatchObject({ status: 'failed', error: 'disk on fire', updatedAt: T0 + 10 });

    clock.advance(50);
    await reportFailure(handler, { eventId: id }, failure(false, 'still on fire'));
    expect(await eventRow(db(), id)).toMatchObject({ status: 'dead', error: 'still on fire', updatedAt: T0 + 60 });
  });

  it('when a failure is reported for an already applied event, then the event stays applied', async () => {
    const handler = createApplyHandler({ clock: new ManualClock(T0) });
    const id = await store('purchase', nacho.purchaseIos());
    await commitIn(await handler.handle({ eventId: id }, context));

    await reportFailure(handler, { eventId: id }, failure(false, 'late duplicate'));

    expect(await eventRow(db(), id)).toMatchObject({ status: 'applied', error: null });
  });

  it('when a failure is reported for a payload without an event id, then nothing throws', async () => {
    const handler = createApplyHandler({ clock: new ManualClock(T0) });
    await expect(reportFailure(handler, {} as { eventId: string }, failure(false, 'bad payload'))).resolves.toBeUndefined();
  });

  it('when a failed event is retried and succeeds, then it is applied and the error is cleared', async () => {
    const handler = createApplyHandler({ clock: new ManualClock(T0) });
    const id = await store('purchase', nacho.purchaseIos());
    await reportFailure(handler, { eventId: id }, failure(true, 'transient'));

    await commitIn(await handler.handle({ eventId: id }, context));

    expect(await eventRow(db(), id)).toMatchObject({ status: 'applied', error: null });
  });
});
