import type { RetryPolicy } from './types';

export type NextAttempt = { retry: true; runAt: number } | { retry: false };

export interface RetryHint {
  /** From a 429/503 Retry-After header: the receiver told us when to come back. */
  retryAfterMs?: number;
}

type ExponentialPolicy = Extract<RetryPolicy, { type: 'exponential' }>;

/**
 * Cap on a Retry-After hint for fixed policies. Fixed policies have no maxDelayMs, and a receiver
 * asking for "come back tomorrow" must not park a job for a day on our side: an hour keeps a
 * misbehaving header from silently stalling deliveries while still honouring ordinary back-pressure.
 */
export const FIXED_RETRY_AFTER_CAP_MS = 60 * 60 * 1000;

/**
 * When the attempt that just failed (attemptsMade counts it) should be followed by another one.
 * Delays are floored to whole milliseconds: run_at is an integer column, and flooring keeps a
 * jittered delay inside [0, delay] instead of rounding past the cap.
 */
export function nextAttempt(attemptsMade: number, policy: RetryPolicy, now: number, random: () => number, hint?: RetryHint): NextAttempt {
  if (attemptsMade >= policy.maxAttempts) return { retry: false };
  const hinted = hintedDelay(policy, hint);
  const delay = hinted ?? computedDelay(attemptsMade, policy, random);
  return { retry: true, runAt: now + Math.floor(delay) };
}

function computedDelay(attemptsMade: number, policy: RetryPolicy, random: () => number): number {
  if (policy.type === 'fixed') return policy.intervalMs;
  const exponent = Math.max(0, attemptsMade - 1);
  const delay = Math.min(policy.maxDelayMs, policy.baseMs * policy.factor ** exponent);
  return jittered(delay, policy.jitter, random);
}

function jittered(delay: number, jitter: ExponentialPolicy['jitter'], random: () => number): number {
  switch (jitter) {
    case 'full':
      return random() * delay;
    case 'equal':
      return delay / 2 + (random() * delay) / 2;
    case 'none':
      return delay;
  }
}

/** A usable hint replaces the computed delay (no jitter: the receiver chose the time), capped. */
function hintedDelay(policy: RetryPolicy, hint?: RetryHint): number | undefined {
  const ms = hint?.retryAfterMs;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  const cap = policy.type === 'exponential' ? policy.maxDelayMs : FIXED_RETRY_AFTER_CAP_MS;
  return Math.min(ms, cap);
}

/**
 * The delays between attempts a policy produces (one fewer than maxAttempts), e.g. for docs.
 * With a jittered policy pass a constant random to see the bounds.
 */
export function scheduleOf(policy: RetryPolicy, random: () => number): number[] {
  const delays: number[] = [];
  for (let made = 1; made < policy.maxAttempts; made += 1) {
    const next = nextAttempt(made, policy, 0, random);
    if (next.retry) delays.push(next.runAt);
  }
  return delays;
}

/**
 * The attempt number within the job's current round of its policy. A requeued job keeps its
 * attempt count but gets max_attempts = attempts + policy.maxAttempts (see SqliteJobQueue.requeue),
 * so max_attempts − policy.maxAttempts is where the round started. Feed this to nextAttempt so a
 * requeued job gets the full schedule again, starting from the first delay.
 */
export function attemptInRound(job: { attempt: number; maxAttempts: number; policy: RetryPolicy }): number {
  const roundStart = Math.max(0, job.maxAttempts - job.policy.maxAttempts);
  return job.attempt - roundStart;
}

/** Throws on a policy that would misbehave (checked at enqueue, where the caller can still react). */
export function assertValidPolicy(policy: RetryPolicy): void {
  const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
  const nonNegative = (n: number) => Number.isFinite(n) && n >= 0;
  if (!positiveInt(policy.maxAttempts)) throw new RangeError('retry policy: maxAttempts must be an integer >= 1');
  if (policy.type === 'fixed') {
    if (!nonNegative(policy.intervalMs)) throw new RangeError('retry policy: intervalMs must be >= 0');
    return;
  }
  if (!nonNegative(policy.baseMs) || !nonNegative(policy.maxDelayMs)) {
    throw new RangeError('retry policy: baseMs and maxDelayMs must be >= 0');
  }
  if (!(Number.isFinite(policy.factor) && policy.factor >= 1)) throw new RangeError('retry policy: factor must be >= 1');
  if (!['full', 'equal', 'none'].includes(policy.jitter)) throw new RangeError('retry policy: unknown jitter');
}

export const policies = {
  fixed(intervalMs: number, maxAttempts: number): RetryPolicy {
    return { type: 'fixed', intervalMs, maxAttempts };
  },
  /** Defaults: 1 s base doubling up to 5 min, 10 attempts, full jitter (spreads retry storms). */
  exponential(options: Partial<Omit<ExponentialPolicy, 'type'>> = {}): RetryPolicy {
    return {
      type: 'exponential',
      baseMs: options.baseMs ?? 1000,
      factor: options.factor ?? 2,
      maxDelayMs: options.maxDelayMs ?? 5 * 60 * 1000,
      maxAttempts: options.maxAttempts ?? 10,
      jitter: options.jitter ?? 'full',
    };
  },
};

/** Applying an inbound nachocode event to the ledger: local work, so retry fast then back off. */
// Frozen: presets are shared by every enqueue, so a caller tweaking one must not change the others.
export const inboundApplyPolicy: RetryPolicy = Object.freeze(
  policies.exponential({ baseMs: 1000, factor: 2, maxDelayMs: 5 * 60 * 1000, maxAttempts: 10, jitter: 'full' }),
);

/** Outbound ABC webhooks: the first try plus 3 retries, 3 s apart. */
export const abcPolicy: RetryPolicy = Object.freeze(policies.fixed(3000, 4));
