import { sql } from '../storage/sql';
import type { AttemptDetail, AttemptRecord, ClaimedJob, JobRecord, JobState, RetryPolicy } from './types';

/** A jobs row as the claim's RETURNING * gives it (column names as in the table). */
export interface JobRow {
  id: number;
  kind: string;
  payload: string;
  state: string;
  attempts: number;
  max_attempts: number;
  policy: string;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  concurrency_key: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export const ATTEMPT_COLUMNS = sql.raw(`id, job_id AS "jobId", attempt, started_at AS "startedAt", finished_at AS "finishedAt", outcome,
  error_class AS "errorClass", error_message AS "errorMessage", status_code AS "statusCode", latency_ms AS "latencyMs",
  response_snippet AS "responseSnippet"`);

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
    maxAttempts: row.max_attempts,
    policy: JSON.parse(row.policy) as RetryPolicy,
    concurrencyKey: row.concurrency_key,
    // The claim sets both; a row without them was not claimed by this statement.
    lockedBy: row.locked_by ?? '',
    lockedUntil: row.locked_until ?? 0,
    runAt: row.run_at,
    createdAt: row.created_at,
  };
}

export function toJobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    state: row.state as JobState,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    policy: JSON.parse(row.policy) as RetryPolicy,
    runAt: row.run_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    concurrencyKey: row.concurrency_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export interface AttemptLogInput {
  job: Pick<ClaimedJob, 'id' | 'attempt'>;
  startedAt: number;
  finishedAt: number;
  outcome: AttemptRecord['outcome'];
  detail: AttemptDetail;
  errorMessage?: string | null;
}

export function insertAttempt(input: AttemptLogInput) {
  return insertAttempts([input]);
}

/** One INSERT of several attempts (rows in the order given). */
export function insertAttempts(inputs: readonly AttemptLogInput[]) {
  const rows = inputs.map((input) => {
    const { detail } = input;
    return sql`(${input.job.id}, ${input.job.attempt}, ${input.startedAt}, ${input.finishedAt}, ${input.outcome}, ${detail.errorClass ?? null},
      ${truncate(input.errorMessage, MAX_MESSAGE_CHARS)}, ${detail.statusCode ?? null}, ${detail.latencyMs ?? null},
      ${truncate(detail.responseSnippet, MAX_SNIPPET_CHARS)})`;
  });
  return sql`INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, error_class, error_message, status_code, latency_ms, response_snippet)
    VALUES ${sql.join(rows)}`;
}

/**
 * Splits n into powers of two, largest first (13 → 8, 4, 1): statements with a row count from that
 * short list keep PostgreSQL's prepared statements few, whatever size a batch has.
 */
export function powerOfTwoParts(n: number): number[] {
  const parts: number[] = [];
  for (let bit = 1 << 30; bit >= 1; bit >>>= 1) if (n & bit) parts.push(bit);
  return parts;
}

export function errorMessageOf(error: Error): string | null {
  return truncate(error.message, MAX_MESSAGE_CHARS);
}
