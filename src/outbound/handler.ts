import type { Logger } from 'pino';
import { classifyOutcome, JobError, SendError, type AttemptDetail, type HttpSender, type JobHandler, type JobQueue, type Outcome } from '../delivery';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { deliveryToSend, setDeliveriesState } from './delivery-repository';
import { recordEnding, type DisablePolicy } from './health';
import { statusClass, type OutboundMetrics } from './metrics';
import { isPaused } from './pause';
import { buildRequest } from './request';
import { DELIVER_WEBHOOK_JOB, type DeliverJobPayload } from './types';
import { resetFailures } from './webhook-repository';

export interface DeliverHandlerDeps {
  /** For reads outside transactions. */
  storage: Pick<Storage, 'read'>;
  clock: Clock;
  sender: HttpSender;
  userAgent: string;
  logger: Logger;
  metrics: OutboundMetrics;
  /** Parks a disabled subscription's deliveries (the queue owns the jobs). */
  queue: JobQueue;
  /** When failing deliveries set a subscription INACTIVE (see health.ts). */
  policy: DisablePolicy;
}

function header(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** A failed attempt as the core understands it: retryable or not, with the receiver's Retry-After. */
function jobErrorOf(outcome: Exclude<Outcome, { kind: 'succeeded' }>, attempt: AttemptDetail, message: string): JobError {
  const detail = { ...attempt, errorClass: outcome.errorClass };
  if (outcome.kind === 'permanent') return JobError.permanent(message, detail);
  return new JobError(message, outcome.retryAfterMs === undefined ? detail : { ...detail, retryAfterMs: outcome.retryAfterMs });
}

/** What a success writes: its delivery succeeded, its subscription's run of failures ended. */
interface Succeeded {
  deliveryId: string;
  webhookId: number;
}

function deliveryIdOf(payload: DeliverJobPayload): string {
  const id: unknown = (payload as Partial<DeliverJobPayload> | null)?.deliveryId;
  if (typeof id !== 'string' || id.length === 0) throw JobError.permanent(`${DELIVER_WEBHOOK_JOB} job payload lacks a deliveryId`);
  return id;
}

/**
 * One attempt to deliver one event to one subscriber. The request goes out outside any
 * transaction; the outcome (delivery state, subscription health) commits with the job's own
 * success or failure, so the attempt log, the delivery and the job never disagree.
 */
export function createDeliverHandler(deps: DeliverHandlerDeps): JobHandler<DeliverJobPayload> {
  const { clock, metrics } = deps;
  return {
    kind: DELIVER_WEBHOOK_JOB,
    // Successful deliveries answered in the same moment share one commit (their attempt log
    // included); a failure is always written on its own.
    commitsTogether: true,
    async handle(payload, ctx) {
      const deliveryId = deliveryIdOf(payload);
      // The delivery, its event and its subscription in one read.
      const toSend = await deliveryToSend(deps.storage.read, deliveryId);
      if (!toSend) throw JobError.permanent(`delivery ${deliveryId} does not exist`, { errorClass: 'missing' });
      const { message, webhook } = toSend;
      if (!webhook) throw JobError.permanent(`the subscription of ${deliveryId} was deleted`, { errorClass: 'missing' });
      // Disabled automatically: the delivery waits, parked, until the subscription is ACTIVE again
      // (claimed just before the disable committed). Set INACTIVE by an admin: not sent, as in ABC.
      if (isPaused(webhook))
        throw JobError.park('the subscription was disabled automatically; the delivery waits until it is ACTIVE', { errorClass: 'paused' });
      if (webhook.status !== 'ACTIVE') throw JobError.permanent('the subscription is INACTIVE', { errorClass: 'webhook_inactive' });
      const request = buildRequest(
        webhook,
        { id: message.delivery.eventId, envelope: message.envelope, emittedAt: message.emittedAt, test: message.test },
        { now: ctx.now(), userAgent: deps.userAgent },
      );
      let response;
      try {
        response = await deps.sender.send(request, ctx.signal);
      } catch (thrown) {
        if (!(thrown instanceof SendError)) throw thrown;
        metrics.attemptLatency.observe({ status_class: 'error' }, thrown.latencyMs / 1000);
        const outcome = classifyOutcome({ error: thrown.errorClass });
        throw jobErrorOf(outcome as Exclude<Outcome, { kind: 'succeeded' }>, { latencyMs: thrown.latencyMs }, thrown.message);
      }
      metrics.attemptLatency.observe({ status_class: statusClass(response.statusCode) }, response.latencyMs / 1000);
      const attempt = { statusCode: response.statusCode, latencyMs: response.latencyMs, responseSnippet: response.snippet };
      const retryAfter = header(response.headers['retry-after']);
      const outcome = classifyOutcome({ statusCode: response.statusCode, retryAfter, now: ctx.now() });
      if (outcome.kind !== 'succeeded') throw jobErrorOf(outcome, attempt, `the subscriber answered ${response.statusCode}`);
      const shared: Succeeded = { deliveryId, webhookId: webhook.id };
      return { attempt, shared };
    },
    async commitShared(tx, shared) {
      // The group's deliveries in one statement and their subscriptions in another, sent together
      // (one round trip on PostgreSQL), where each success would cost two.
      const succeeded = shared as Succeeded[];
      const webhookIds = [...new Set(succeeded.map((s) => s.webhookId))];
      await Promise.all([
        setDeliveriesState(
          tx,
          succeeded.map((s) => s.deliveryId),
          'succeeded',
          clock.now(),
        ),
        resetFailures(tx, webhookIds),
      ]);
    },
    async onFailure(tx, payload, failure) {
      const id: unknown = (payload as Partial<DeliverJobPayload> | null)?.deliveryId;
      if (typeof id !== 'string') return;
      await recordEnding(tx, { deliveryId: id, failure, now: clock.now(), policy: deps.policy, queue: deps.queue, logger: deps.logger, metrics });
    },
    afterSuccess() {
      metrics.deliveries.inc({ outcome: 'succeeded' });
    },
  };
}
