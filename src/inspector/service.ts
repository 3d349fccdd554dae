import { answerMs } from '../shared/durations';
import { eventView, getEvent, type Receive } from '../receiver';
import { AppError } from '../shared/errors';
import { newId } from '../shared/ids';
import type { Clock } from '../shared/clock';
import type { DeliveryAttemptRow } from '../outbound';
import type { Queryable, Storage } from '../storage/port';
import { toCurl } from './curl';
import type { RequestFilter } from './filters';
import { planReplay, REPLAY_OF_HEADER } from './replay';
import { failedKeyCheck, unverifiedOrigin, unverifiedReplayBody, type UnverifiedReplayBody } from './replay-unverified';
import { getRequest, listRequests, type RawRequestRow } from './repository';
import { bodyView, headersOf, listItemView, parseStored, storedHeader, summaryView } from './views';

export interface InspectorServiceDeps {
  storage: Pick<Storage, 'read'>;
  clock: Clock;
  receive: Receive;
  /** The ledger entries an event caused (from the ledger capability). */
  entriesForEvent(db: Queryable, eventId: string): Promise<unknown[]>;
  /**
   * The attempts of our own outbound deliveries that sent a captured request (from the outbound
   * capability, which owns those tables): `messageId` is the request's `webhook-id` header, and a
   * request captured by a bin shows only the subscriptions pointing at that bin.
   */
  deliveryAttempts(messageId: string, binId: string | null): Promise<DeliveryAttemptRow[]>;
}

export interface ReplayResult {
  replayOf: string;
  requestId: string;
  status: number;
  outcome: string;
  reason: string | null;
  eventId: string | null;
  response: unknown;
  /** The bytes never passed the webhook key check and the admin confirmed the replay anyway. */
  acceptedUnverified: boolean;
}

/** A replay ran, or it waits for the admin to accept a request that failed the key check (409). */
export type ReplayOutcome = { ok: true; result: ReplayResult } | { ok: false; status: 409; body: UnverifiedReplayBody };

/** The inspector's reads and its one write (replay), in plain TypeScript; routes only parse and answer. */
export class InspectorService {
  constructor(private readonly deps: InspectorServiceDeps) {}

  async list(filter: RequestFilter, cursor: string | undefined, limit: number) {
    const page = await listRequests(this.deps.storage.read, filter, cursor, limit);
    return { data: page.rows.map(listItemView), nextCursor: page.nextCursor };
  }

  /** Everything the detail view shows. baseUrl is where a copied curl command should send it. */
  async detail(id: string, baseUrl: string) {
    const { read } = this.deps.storage;
    const row = await this.find(id);
    const headers = headersOf(row);
    const event = row.eventId === null ? undefined : await getEvent(read, row.eventId);
    const messageId = storedHeader(headers, 'webhook-id');
    const ledgerEntries = event === undefined ? [] : await this.deps.entriesForEvent(read, event.id);
    const deliveryAttempts = messageId === undefined ? [] : await this.deps.deliveryAttempts(messageId, row.binId);
    const plan = planReplay(row, { newId: id, remoteAddr: null, requestId: null });
    return {
      ...summaryView(row),
      remoteAddr: row.remoteAddr,
      requestId: row.requestId,
      keyFingerprint: row.keyFingerprint,
      replayOf: storedHeader(headers, REPLAY_OF_HEADER) ?? null,
      acceptedUnverified: row.source === 'replay' && unverifiedOrigin(row) !== null,
      headers,
      body: bodyView(row.body, row),
      response: { status: row.status, body: parseStored(row.response), durationMs: answerMs(row.durationMs) },
      event: event === undefined ? null : { relation: relationOf(row.outcome), ...eventView(event), ledgerEntries },
      deliveryAttempts,
      replayable: plan.ok ? { ok: true, reason: null } : { ok: false, reason: plan.reason },
      curl: toCurl({ method: row.method, url: `${baseUrl}${row.path}${row.query === null ? '' : `?${row.query}`}`, headers, body: row.body }),
    };
  }

  async body(id: string): Promise<{ bytes: Buffer; contentType: string | null }> {
    const row = await this.find(id);
    if (row.body === null) throw new AppError('not_found', `request ${id} has no stored body`);
    return { bytes: row.body, contentType: row.contentType };
  }

  /**
   * Runs the stored request through the receiver again and answers with what the receiver said.
   * Bytes that failed the webhook key check go through only when the admin accepts them unverified.
   */
  async replay(
    id: string,
    context: { remoteAddr: string | null; requestId: string | null },
    options: { acceptUnverified: boolean } = { acceptUnverified: false },
  ): Promise<ReplayOutcome> {
    const row = await this.find(id);
    const unverifiedOf = unverifiedOrigin(row);
    const newRequestId = newId('req', this.deps.clock.now());
    const plan = planReplay(row, { newId: newRequestId, ...context, unverifiedOf });
    if (!plan.ok) throw new AppError('bad_request', `cannot replay ${id}: ${plan.reason}`);
    if (unverifiedOf !== null && !options.acceptUnverified) {
      const failed = unverifiedOf === id ? row : await getRequest(this.deps.storage.read, unverifiedOf);
      return { ok: false, status: 409, body: unverifiedReplayBody(id, unverifiedOf, failedKeyCheck(failed)) };
    }
    const answer = await this.deps.receive(plan.route, plan.request);
    const result: ReplayResult = {
      replayOf: id,
      requestId: newRequestId,
      status: answer.status,
      outcome: answer.outcome,
      reason: answer.reason,
      eventId: answer.eventId,
      response: answer.body,
      acceptedUnverified: unverifiedOf !== null,
    };
    return { ok: true, result };
  }

  private async find(id: string): Promise<RawRequestRow> {
    const row = await getRequest(this.deps.storage.read, id);
    if (row === undefined) throw new AppError('not_found', `no request ${id}`);
    return row;
  }
}

/** How a request relates to its event: it created it, repeated it, or clashed with it. */
function relationOf(outcome: string): 'created' | 'duplicate' | 'conflict' {
  return outcome === 'duplicate' ? 'duplicate' : outcome === 'conflict' ? 'conflict' : 'created';
}
