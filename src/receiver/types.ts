import type { ErrorCode } from '../shared/errors';
import type { EventType, ValueRef } from '../nachocode';
import type { WriteOptions } from '../storage/port';

export type RequestOutcome = 'stored' | 'duplicate' | 'conflict' | 'rejected';
export type RequestSource = 'webhook' | 'replay' | 'import';

/** A request as the receiver sees it, independent of Express so replays and imports reuse it. */
export interface InboundRequest {
  method: string;
  path: string;
  query: string | null;
  /** Node's rawHeaders: name, value, name, value… (repeats kept). */
  rawHeaders: readonly string[];
  body: Buffer | null;
  /** Set when the body could not be read (too large, aborted). */
  bodyError?: { code: ErrorCode; message: string; declaredSize?: number };
  remoteAddr: string | null;
  requestId: string | null;
  source: RequestSource;
  /** performance.now() when the request arrived, for the stored duration. */
  startedAt: number;
  /**
   * Set by the inspector's replay: the id the new raw request gets (so the caller can point at it)
   * and the original's key fingerprint. The stored Authorization is masked, so the admin who asks
   * for the replay vouches for the request instead of the webhook key.
   */
  replay?: { id: string; keyFingerprint: string | null };
}

export interface RawRequestRecord {
  id: string;
  receivedAt: number;
  method: string;
  path: string;
  query: string | null;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  /** The whole body's size, also when only its first bytes are kept. */
  bodySize: number;
  /** Set when only the first bytes of the body are kept: the SHA-256 (hex) of all of it. */
  bodySha256: string | null;
  contentType: string | null;
  remoteAddr: string | null;
  requestId: string | null;
  keyFingerprint: string | null;
  source: RequestSource;
  /** A rejected request whose body names its event: that event's dedupe key (rejection-identity.ts). */
  dedupeKey?: string | null;
  /** A rejected request: the group near-identical rejections share. */
  rejectionGroup?: string | null;
}

export interface Answer {
  status: number;
  body: unknown;
  outcome: RequestOutcome;
  reason: string | null;
  eventId: string | null;
}

/** A validated event, ready to be stored. */
export interface PreparedEvent {
  type: EventType;
  environment: string | null;
  dedupeKey: string;
  contentHash: string;
  payload: string;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
  /** Enumerated fields whose values iaphook does not know: the event is stored, and held unless a value mapping covers them. */
  unknownValues?: ValueRef[];
}

export type IngestResult =
  | { kind: 'stored'; eventId: string }
  | { kind: 'duplicate'; eventId: string }
  | { kind: 'conflict'; eventId: string }
  /** Only with `once`: the raw request was stored before, so nothing was written. */
  | { kind: 'already' };

/** What the client was told; the raw row keeps it when a spooled request is ingested later. */
export interface SentAnswer {
  status: number;
  body: unknown;
}

/**
 * The receiver's writes. One implementation over the storage port (ingest-repository.ts); with
 * SQLite's apply thread, a second one hands the same calls to the thread's connection.
 */
export interface IngestStore {
  /**
   * Stores the raw request, the event and its processing job, all committed durably at once. An
   * aborted signal (the answer budget ran out and the request went to the spool) drops the write
   * if it has not started.
   */
  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options?: StoreOptions): Promise<IngestResult>;
  /** Stores a request that was not accepted, with the answer it got. */
  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options?: StoreOptions): Promise<'recorded' | 'already'>;
}

/** The write's own options (its signal and deadline), and what the receiver's store adds. */
export interface StoreOptions extends WriteOptions {
  /**
   * The raw request may be stored already (a spooled request ingested before a crash, or whose
   * live write landed after all): then nothing is written, and the result says 'already'.
   */
  once?: boolean;
  /** Keep this answer on the raw row instead of the one computed now (a spooled request was answered when spooled). */
  sent?: SentAnswer;
}
