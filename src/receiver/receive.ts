import { performance } from 'node:perf_hooks';
import sjson from 'secure-json-parse';
import { maskHeaders } from '../http/mask';
import { AppError } from '../shared/errors';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { ReceiverRoute } from './classify';
import { contentHash, dedupeKey } from './dedupe';
import { accepted, conflictBody } from './ingest-repository';
import type { EventPayload } from './schemas';
import type { Answer, InboundRequest, IngestStore, PreparedEvent, RawRequestRecord } from './types';
import { parseEvent } from './validate';
import type { KeyMatch } from './webhook-keys';

export interface ReceiverDeps {
  store: IngestStore;
  checkKey(authorization: string | undefined): KeyMatch;
  clock: Clock;
  /** Called after a new event has committed: wakes the worker. Must return at once. */
  onAccepted?(eventId: string): void;
  onAnswer?(route: ReceiverRoute, answer: Answer): void;
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
    const key = deps.checkKey(header('authorization'));
    const raw = rawRecord(request, deps.clock.now(), key.ok ? key.fingerprint : null);
    let answer: Answer;
    try {
      if (request.bodyError !== undefined) throw new AppError(request.bodyError.code, request.bodyError.message);
      if (!key.ok) throw new AppError('unauthorized', unauthorizedMessage(key.reason), { reason: key.reason });
      const event = parseEvent(route, parseJsonBody(header('content-type'), request.body));
      answer = await store(deps, raw, prepare(event), elapsed);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      answer = reject(error);
      await deps.store.recordRejected(raw, answer, elapsed);
    }
    deps.onAnswer?.(route, answer);
    return answer;
  };
}

async function store(deps: ReceiverDeps, raw: RawRequestRecord, event: PreparedEvent, elapsed: () => number): Promise<Answer> {
  const result = await deps.store.ingest(raw, event, elapsed);
  switch (result.kind) {
    case 'stored':
      deps.onAccepted?.(result.eventId);
      return { status: 200, body: accepted(result.eventId, false), outcome: 'stored', reason: null, eventId: result.eventId };
    case 'duplicate':
      return { status: 200, body: accepted(result.eventId, true), outcome: 'duplicate', reason: null, eventId: result.eventId };
    case 'conflict':
      return { status: 409, body: conflictBody(result.eventId, event.dedupeKey), outcome: 'conflict', reason: 'conflict', eventId: result.eventId };
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
  try {
    // secure-json-parse drops __proto__ and constructor.prototype keys instead of letting them
    // reach objects we spread or validate later.
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (error) {
    throw new AppError('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

function isJsonType(contentType: string): boolean {
  const [type, ...params] = contentType.toLowerCase().split(';').map((s) => s.trim());
  const json = type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  return json && (charset === undefined || charset === 'utf-8' || charset === 'utf8');
}

function prepare(event: EventPayload): PreparedEvent {
  const isTransaction = event.type !== 'unavailable_users';
  return {
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
    id: newId('req', now),
    receivedAt: now,
    method: request.method,
    path: request.path,
    query: request.query,
    headers: maskHeaders(request.rawHeaders),
    body: request.body,
    bodySize: request.body?.length ?? request.bodyError?.declaredSize ?? 0,
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
