import { performance } from 'node:perf_hooks';
import { isSecretHeader } from '../http/mask';
import type { ReceiverRoute } from '../nachocode';
import { WEBHOOK_ROUTES, type InboundRequest } from '../receiver';
import type { RawRequestRow } from './repository';
import { headersOf } from './views';

/** Marks a replayed request, so its raw record points at the original. */
export const REPLAY_OF_HEADER = 'x-iaphook-replay-of';
/**
 * Marks a replay an admin accepted although its bytes never passed the webhook key check; the
 * value names the request whose check failed. Kept with the replay's headers, beside REPLAY_OF_HEADER.
 */
export const ACCEPTED_UNVERIFIED_HEADER = 'x-iaphook-accepted-unverified';

/** The receiver route a stored path was served by; Express matches paths case-insensitively and with a trailing slash. */
export function routeForPath(path: string): ReceiverRoute | null {
  const normalized = path.toLowerCase().replace(/(.)\/$/, '$1');
  return WEBHOOK_ROUTES.find(([p]) => p === normalized)?.[1] ?? null;
}

export type ReplayPlan = { ok: true; route: ReceiverRoute; request: InboundRequest } | { ok: false; reason: string };

export interface ReplayContext {
  /** The id the replay's raw request gets. */
  newId: string;
  remoteAddr: string | null;
  requestId: string | null;
  /** The request whose failed key check the admin accepted, recorded on the replay. */
  unverifiedOf?: string | null;
}

/**
 * Rebuilds a stored request for the receiver: same method, path, query, headers and exact body
 * bytes, so it meets the same checks and the same dedupe key (a duplicate stays a duplicate).
 * Secret headers were stored masked, so they are left out; the receiver is told the replay is
 * vouched for by the admin who asked, and keeps the original key's fingerprint.
 */
export function planReplay(row: RawRequestRow, context: ReplayContext): ReplayPlan {
  if (row.binId !== null || row.source === 'bin')
    return { ok: false, reason: 'this request was captured by a bin; only webhook requests go through the receiver' };
  const route = routeForPath(row.path);
  if (route === null) return { ok: false, reason: `${row.path} is not a webhook route; there is nothing to replay` };
  if (row.body === null && row.reason === 'payload_too_large') {
    return { ok: false, reason: 'the body was larger than the limit and was not stored' };
  }
  if (row.bodySha256 !== null) {
    return { ok: false, reason: `only the first ${row.body?.length ?? 0} of ${row.bodySize} body bytes were kept (the request failed the webhook key check)` };
  }
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(headersOf(row))) {
    if (isSecretHeader(name) || name === REPLAY_OF_HEADER || name === ACCEPTED_UNVERIFIED_HEADER) continue;
    for (const one of Array.isArray(value) ? value : [value]) rawHeaders.push(name, one);
  }
  rawHeaders.push(REPLAY_OF_HEADER, row.id);
  if (context.unverifiedOf) rawHeaders.push(ACCEPTED_UNVERIFIED_HEADER, context.unverifiedOf);
  const request: InboundRequest = {
    method: row.method,
    path: row.path,
    query: row.query,
    rawHeaders,
    body: row.body,
    bodyError: row.method === 'POST' ? undefined : { code: 'method_not_allowed', message: `${row.method} is not allowed here; nachocode webhooks are POST` },
    remoteAddr: context.remoteAddr,
    requestId: context.requestId,
    source: 'replay',
    startedAt: performance.now(),
    replay: { id: context.newId, keyFingerprint: row.keyFingerprint },
  };
  return { ok: true, route, request };
}
