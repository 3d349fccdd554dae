// The delivery core's public API: the durable job queue (either backend), retry policies and the worker.
export type {
  AttemptDetail,
  AttemptRecord,
  ClaimedJob,
  EnqueueInput,
  FailureInfo,
  HandlerResult,
  JobContext,
  JobHandler,
  JobRecord,
  JobState,
  RetryPolicy,
} from './types';
export { JobError, type JobErrorDetail } from './job-error';
export {
  abcPolicy,
  assertValidPolicy,
  attemptInRound,
  FIXED_RETRY_AFTER_CAP_MS,
  inboundApplyPolicy,
  nextAttempt,
  policies,
  scheduleOf,
  type NextAttempt,
  type RetryHint,
} from './retry-policy';
export {
  CLAIM_WINDOW_FACTOR,
  SqlJobQueue,
  type ClaimOptions,
  type FailureRecord,
  type JobQueue,
  type JobStatus,
  type KindStateStats,
  type LeaseRef,
  type OutcomeDetail,
} from './queue';
export { Worker, type WorkerOptions } from './worker';
export type { WorkerObserver } from './job-runner';
export { runningWorkers } from './registry';
export {
  classifyOutcome,
  networkErrorClass,
  parseRetryAfter,
  type AttemptInput,
  type HttpErrorClass,
  type NetworkErrorClass,
  type Outcome,
} from './http-outcome';
export { createHttpSender, SendError, type HttpRequest, type HttpResponseInfo, type HttpSender, type HttpSenderOptions } from './http-sender';
export {
  assertLiteralAllowed,
  BlockedAddressError,
  embeddedIPv4,
  guardedLookup,
  ipLiteral,
  isBlockedAddress,
  refusedHost,
  systemResolver,
  type Resolver,
} from './ssrf-guard';
