import { performance } from 'node:perf_hooks';
import sjson from 'secure-json-parse';
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeep } from '../http/json-body';
import { maskHeaders, maskQuery } from '../http/mask';
import { AppError } from '../shared/errors';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { ReceiverRoute } from '../nachocode';
import { contentHash, dedupeKey, unknownValues } from '../nachocode';
import { accepted, conflictBody } from './ingest-repository';
import type { EventPayload } from '../nachocode';
import type { Answer, InboundRequest, IngestStore, PreparedEvent, RawRequestRecord } from './types';
import { spooledBody, writeOrSpool, type SpoolFallback } from '../spool/fallback';
import { parseEvent } from '../nachocode';
import { rejectionIdentity } from './rejection-identity';
import { boundRejected, type UnverifiedBounds } from './unverified';
import type { KeyMatch } from './webhook-keys';

export interface ReceiverDeps {
  store: IngestStore;
  checkKey(authorization: string | undefined): KeyMatch;
  clock: Clock;
  /** Called after a new event has committed: wakes the worker. Must return at once. */
  onAccepted?(eventId: string): void;
  /** Every answer, with the milliseconds from the request's arrival to it. */
  onAnswer?(route: ReceiverRoute, answer: Answer, durationMs: number): void;
  /**
   * Called once the raw request has committed (every outcome): the inspector's live stream. A
   * request that went to the spool is reported when it gets to the database (its own late write
   * landed, or the spool was ingested). Must return at once.
   */
  onRecorded?(rawRequestId: string): void;
  /** Where a request goes when the database cannot take it within the answer budget (see spool-fallback.ts). */
  spool?: SpoolFallback;
  /** What is kept of a rejected request that failed the key check (see unverified.ts); everything when absent. */
  unverified?: UnverifiedBounds;
  /** A rejected request that was answered but not kept (its address used up its quota). Must return at once. */
  onUnrecorded?(answer: Answer): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Every rejection path, in the order checks run; each becomes a stored raw request with its answer. */
function reject(error: AppError): Answer {
  return { status: error.status, body: error.toBody(), outcome: 'rejected', reason: error.code, eventId: null };
}

/**
 * The receiver as a plain async function: checks, parses, validates and stores one request, and
 * returns the answer. Routes, replays and imports all call it, so they behave the same.
 */
export function createReceiver(deps: ReceiverDeps) {
  return async function receive(route: ReceiverRoute, request: InboundRequest): Promise<Answer> {
    const elapsed = () => performance.now() - request.startedAt;
    const header = (name: string) => headerValue(request.rawHeaders, name);
    const key: KeyMatch = request.replay === undefined ? deps.checkKey(header('authorization')) : { ok: true, fingerprint: request.replay.keyFingerprint };
    const raw = rawRecord(request, deps.clock.now(), key.ok ? key.fingerprint : null);
    let answer: Answer;
    // Whether the raw request is in the database now (not spooled, not dropped by a quota).
    let inDatabase = false;
    try {
      if (request.bodyError !== undefined) throw new AppError(request.bodyError.code, request.bodyError.message);
      if (!key.ok) throw new AppError('unauthorized', unauthorizedMessage(key.reason), { reason: key.reason });
      const event = parseEvent(route, parseJsonBody(header('content-type'), request.body));
      answer = await store(deps, raw, prepare(event), elapsed);
      inDatabase = answer.reason !== 'spooled';
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      answer = reject(error);
      // A 503 here means the database and the spool both failed: there is nowhere left to record it.
      if (error.code !== 'service_unavailable') {
        const kept = boundRejected(raw, deps.unverified, deps.clock.now());
        // Identified from the whole body, also when only its first bytes are kept.
        if (kept !== null) inDatabase = await recordRejected(deps, { ...kept, ...rejectionIdentity(raw.path, answer.reason, raw.body) }, answer, elapsed);
        else deps.onUnrecorded?.(answer);
      }
    }
    deps.onAnswer?.(route, answer, elapsed());
    if (inDatabase) deps.onRecorded?.(raw.id);
    return answer;
  };
}

async function store(deps: ReceiverDeps, raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number): Promise<Answer> {
  const stored = await writeOrSpool(
    deps.spool,
    (guard) => deps.store.ingest(raw, event, elapsed, guard),
    (reason) => ({
      kind: 'event',
      spooledAt: deps.clock.now(),
      reason,
      durationMs: elapsed(),
      raw,
      event,
      answer: { status: 200, body: spooledBody(event.unknownValues) },
    }),
  );
  // On disk in the spool: acknowledged now, stored and deduplicated when the database is back.
  if (stored.kind === 'spooled') return { status: 200, body: spooledBody(event.unknownValues), outcome: 'stored', reason: 'spooled', eventId: null };
  const result = stored.value;
  switch (result.kind) {
    case 'stored':
      deps.onAccepted?.(result.eventId);
      return { status: 200, body: accepted(result.eventId, false, event.unknownValues), outcome: 'stored', reason: null, eventId: result.eventId };
    case 'duplicate':
      return { status: 200, body: accepted(result.eventId, true, event.unknownValues), outcome: 'duplicate', reason: null, eventId: result.eventId };
    case 'conflict':
      return { status: 409, body: conflictBody(result.eventId, event.dedupeKey), outcome: 'conflict', reason: 'conflict', eventId: result.eventId };
    case 'already':
      throw new Error('a live request cannot have been stored before');
  }
}

/**
 * A rejection waits for its record only as long as the spool's rejected budget (tens of ms): past
 * it the record is written to the spool and the answer goes out, so neither a busy database nor a
 * busy disk slows a 4xx down. Written before the answer, the record survives the process being
 * killed right after it; it is synced to the disk with its segment (a rejection was never
 * acknowledged: a machine crash within that second may lose it). The database write goes on
 * meanwhile and usually lands first (the spooled copy is then skipped); the live stream hears of
 * it when it does. With a spool, a rejection is answered as it is even when neither the database
 * nor the spool keeps it. True when the record is in the database.
 */
async function recordRejected(deps: ReceiverDeps, raw: RawRequestRecord, answer: Answer, elapsed: () => number): Promise<boolean> {
  try {
    const stored = await writeOrSpool(
      deps.spool,
      (guard) => deps.store.recordRejected(raw, answer, elapsed, guard),
      (reason) => ({ kind: 'rejected', spooledAt: deps.clock.now(), reason, durationMs: elapsed(), raw, answer }),
      { budgetMs: deps.spool?.rejectedBudgetMs, keepWriting: true, sync: false },
    );
    if (stored.kind === 'written') return true;
    // Landed late, or lost to the spooled copy's ingest (a duplicate id): the spool reports that one.
    stored.writing?.then(
      () => deps.onRecorded?.(raw.id),
      () => undefined,
    );
    return false;
  } catch (error) {
    if (deps.spool === undefined) throw error;
    return false;
  }
}

function unauthorizedMessage(reason: KeyMatch['reason']): string {
  if (reason === 'missing_authorization') return 'missing Authorization header: expected "Bearer <webhook key>"';
  if (reason === 'malformed_authorization') return 'malformed Authorization header: expected "Bearer <webhook key>"';
  return 'the webhook key is not one of the configured keys';
}

/** JSON only. A missing Content-Type is tolerated when the body parses: losing an event costs more. */
export function parseJsonBody(contentType: string | undefined, body: Buffer | null): unknown {
  if (contentType !== undefined && !isJsonType(contentType)) {
    throw new AppError('unsupported_media_type', `expected Content-Type application/json, got "${contentType}"`);
  }
  if (body === null || body.length === 0) throw new AppError('invalid_json', 'the body is empty; expected a JSON object');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new AppError('invalid_json', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    // secure-json-parse drops __proto__ and constructor.prototype keys instead of letting them
    // reach objects we spread or validate later.
    value = sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (error) {
    throw new AppError('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  // Hashing and storing walk the body recursively; thousands of levels would overflow the stack.
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw tooDeep();
  return value;
}

export { nestedDeeperThan };

function isJsonType(contentType: string): boolean {
  const [type, ...params] = contentType
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  const json = type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return json && (charset === undefined || charset === 'utf-8' || charset === 'utf8');
}

function prepare(event: EventPayload): PreparedEvent {
  const isTransaction = event.type !== 'unavailable_users';
  const unknown = unknownValues(event);
  return {
    ...(unknown.length > 0 ? { unknownValues: unknown } : {}),
    type: event.type,
    environment: isTransaction ? event.payload.environment : null,
    dedupeKey: dedupeKey(event),
    contentHash: contentHash(event.payload),
    payload: JSON.stringify(event.payload),
    userId: isTransaction ? event.payload.userId : null,
    productId: isTransaction ? event.payload.productId : null,
    iapLogId: isTransaction ? event.payload.iapLogId : null,
  };
}

function rawRecord(request: InboundRequest, now: number, fingerprint: string | null): RawRequestRecord {
  return {
    id: request.replay?.id ?? newId('req', now),
    receivedAt: now,
    method: request.method,
    path: request.path,
    query: maskQuery(request.query),
    headers: maskHeaders(request.rawHeaders),
    body: request.body,
    bodySize: request.body?.length ?? request.bodyError?.declaredSize ?? 0,
    bodySha256: null,
    contentType: headerValue(request.rawHeaders, 'content-type') ?? null,
    remoteAddr: request.remoteAddr,
    requestId: request.requestId,
    keyFingerprint: fingerprint,
    source: request.source,
  };
}

/** First value of a header, case-insensitively. A repeated Authorization is read as its first value. */
export function headerValue(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) return rawHeaders[i + 1];
  }
  return undefined;
}
