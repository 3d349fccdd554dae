import type { ErrorCode } from '../shared/errors';
import type { EventType } from './schemas';
import type { RestoreResult, SpoolEntry } from './spool-format';

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
}

export type IngestResult =
  | { kind: 'stored'; eventId: string }
  | { kind: 'duplicate'; eventId: string }
  | { kind: 'conflict'; eventId: string };

/**
 * Storage for the receiver, kept behind an interface so a PostgreSQL implementation can replace
 * the SQLite one without touching routes or services.
 */
export interface IngestStore {
  /**
   * Stores the raw request, the event and its processing job in one durable transaction. An
   * aborted signal (the answer budget ran out and the request went to the spool) drops the write
   * if it has not started.
   */
  ingest(raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number, options?: StoreOptions): Promise<IngestResult>;
  /** Stores a request that was not accepted, with the answer it got. */
  recordRejected(raw: RawRequestRecord, answer: Answer, elapsed: () => number, options?: StoreOptions): Promise<void>;
  /** Ingests a request taken back from the spool; a no-op when its raw request is already stored. */
  restore(entry: SpoolEntry): Promise<RestoreResult>;
}

export interface StoreOptions {
  signal?: AbortSignal;
}
