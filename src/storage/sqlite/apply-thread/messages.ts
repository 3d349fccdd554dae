import type { Answer, PreparedEvent, RawRequestRecord } from '../../../receiver';

// What the HTTP thread and the apply thread say to each other.

export interface ApplyThreadData {
  databasePath: string;
  busyTimeoutMs: number;
  commitMaxBatch: number;
  logLevel: string;
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
}

/**
 * A receiver write done by the thread's connection. startedAt is when the request arrived, in
 * epoch milliseconds (performance.timeOrigin + performance.now()), for the stored duration;
 * deadline (Date.now() milliseconds) is when the HTTP thread stops waiting for it: the thread
 * checks it when the write's turn comes, as a cancel sent then would be read too late.
 */
export type StoreCall =
  | { op: 'ingest'; id: number; raw: RawRequestRecord; event: PreparedEvent; startedAt: number; deadline?: number }
  | { op: 'reject'; id: number; raw: RawRequestRecord; answer: Answer; startedAt: number; deadline?: number }
  /** The answer budget ran out and the request went to the spool: drop the write if not started. */
  | { op: 'cancel'; id: number };

export type StoreReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code?: string };

export type ToThread =
  | { type: 'wake' }
  | { type: 'stop'; deadlineMs: number }
  | { type: 'store'; calls: StoreCall[] }
  /** A subscription was saved or deleted on the HTTP thread. */
  | { type: 'subscriptions' };

export type FromThread =
  | { type: 'started' }
  /** Receipt-to-apply latency (ms) of events applied since the last report. */
  | { type: 'applied'; latenciesMs: number[] }
  | { type: 'finished'; kind: string; result: 'succeeded' | 'retry' | 'dead' }
  /** Applies queued outbound deliveries (refunds recorded as feedback, entitlement.updated): wake the outbound worker. */
  | { type: 'deliveries' }
  | { type: 'stored'; replies: StoreReply[] }
  | { type: 'stopped' };
