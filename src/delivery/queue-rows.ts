import type { jobAttempts, jobs } from '../storage/sqlite/schema';
import type { AttemptDetail, AttemptRecord, ClaimedJob, JobRecord, JobState, RetryPolicy } from './types';

export type JobRow = typeof jobs.$inferSelect;
export type AttemptRow = typeof jobAttempts.$inferSelect;
export type NewAttemptRow = typeof jobAttempts.$inferInsert;

// The attempt log is for diagnosis, not archiving: a receiver answering with a megabyte of HTML
// must not bloat the database once per attempt.
const MAX_SNIPPET_CHARS = 2048;
const MAX_MESSAGE_CHARS = 2048;

export function truncate(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function toClaimedJob(row: JobRow): ClaimedJob {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    attempt: row.attempts,
    maxAttempts: row.maxAttempts,
    policy: JSON.parse(row.policy) as RetryPolicy,
    concurrencyKey: row.concurrencyKey,
    // The claim sets both; a row without them was not claimed by this statement.
    lockedBy: row.lockedBy ?? '',
    lockedUntil: row.lockedUntil ?? 0,
    runAt: row.runAt,
    createdAt: row.createdAt,
  };
}

export function toJobRecord(row: JobRow): JobRecord {
  return {
    ...row,
    payload: JSON.parse(row.payload) as unknown,
    policy: JSON.parse(row.policy) as RetryPolicy,
    state: row.state as JobState,
  };
}

export function toAttemptRecord(row: AttemptRow): AttemptRecord {
  return { ...row, outcome: row.outcome as AttemptRecord['outcome'] };
}

export interface AttemptLogInput {
  job: Pick<ClaimedJob, 'id' | 'attempt'>;
  startedAt: number;
  finishedAt: number;
  outcome: AttemptRecord['outcome'];
  detail: AttemptDetail;
  errorMessage?: string | null;
}

export function attemptRow(input: AttemptLogInput): NewAttemptRow {
  const { detail } = input;
  return {
    jobId: input.job.id,
    attempt: input.job.attempt,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    outcome: input.outcome,
    errorClass: detail.errorClass ?? null,
    errorMessage: truncate(input.errorMessage, MAX_MESSAGE_CHARS),
    statusCode: detail.statusCode ?? null,
    latencyMs: detail.latencyMs ?? null,
    responseSnippet: truncate(detail.responseSnippet, MAX_SNIPPET_CHARS),
  };
}

export function errorMessageOf(error: Error): string | null {
  return truncate(error.message, MAX_MESSAGE_CHARS);
}
