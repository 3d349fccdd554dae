import type { AttemptDetail } from './types';

export interface JobErrorDetail extends AttemptDetail {
  /** false: retrying cannot help (a 4xx, a malformed payload), so the job goes dead at once. */
  retryable?: boolean;
  /** The receiver's Retry-After, in ms; replaces the policy's next delay (capped, see retry-policy). */
  retryAfterMs?: number;
  /** true: not now, and not on a schedule: the job is paused until its owner unparks it. */
  park?: boolean;
}

/**
 * What a handler throws to steer the retry decision while still getting the status code, error
 * class and response snippet into the attempt log. Any other thrown value counts as retryable.
 */
export class JobError extends Error {
  readonly detail: JobErrorDetail;

  constructor(message: string, detail: JobErrorDetail = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobError';
    this.detail = detail;
  }

  /** A failure no retry will fix: the job goes dead now. */
  static permanent(message: string, detail: AttemptDetail = {}, options?: { cause?: unknown }): JobError {
    return new JobError(message, { ...detail, retryable: false }, options);
  }

  /**
   * Nothing was done and nothing should be tried until the job's owner says so (its subscriber is
   * disabled): the job is paused, keeps its payload and waits for JobQueue.unpark.
   */
  static park(message: string, detail: AttemptDetail = {}): JobError {
    return new JobError(message, { ...detail, retryable: false, park: true });
  }

  /** A failure to retry no sooner than retryAfterMs from now. */
  static retryAfter(message: string, retryAfterMs: number, detail: AttemptDetail = {}): JobError {
    return new JobError(message, { ...detail, retryAfterMs });
  }
}

/** The attempt-log fields of a thrown value: a JobError's detail, else just its class. */
export function failureDetail(error: Error): JobErrorDetail {
  if (error instanceof JobError) return { ...error.detail, errorClass: error.detail.errorClass ?? error.name };
  return { errorClass: error.name };
}
