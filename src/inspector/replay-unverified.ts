import type { RawRequestRow } from './repository';
import { ACCEPTED_UNVERIFIED_HEADER } from './replay';
import { headersOf, parseStored, storedHeader } from './views';

export const UNVERIFIED_REPLAY_CODE = 'replay_of_unauthenticated_request';

/**
 * The request whose webhook key check failed, when these stored bytes never passed one: the
 * request itself was refused as unauthorized, or it is a replay an admin accepted unverified.
 * Replays skip the key check (the stored key is masked), so without this a request from anyone
 * who knows the URL would become an event on one click. A sender's own copy of the marker header
 * means nothing: only replays carry ours.
 */
export function unverifiedOrigin(row: RawRequestRow): string | null {
  if (row.outcome === 'rejected' && row.reason === 'unauthorized') return row.id;
  if (row.source !== 'replay') return null;
  return storedHeader(headersOf(row), ACCEPTED_UNVERIFIED_HEADER) ?? null;
}

const KEY_CHECKS: Record<string, string> = {
  missing_authorization: 'it had no Authorization header',
  malformed_authorization: 'its Authorization header was malformed',
  unknown_key: 'its key is not one of the configured keys',
};

/** Why the receiver refused the key, from the 401 answer it stored (null once that request is pruned). */
export function failedKeyCheck(row: RawRequestRow | undefined): string | null {
  const answer = parseStored(row?.response ?? null) as { error?: { details?: { reason?: unknown } } } | null;
  const reason = answer?.error?.details?.reason;
  return typeof reason === 'string' ? reason : null;
}

export interface UnverifiedReplayBody {
  error: {
    code: typeof UNVERIFIED_REPLAY_CODE;
    message: string;
    details: { requestId: string; failedRequestId: string; keyCheck: string | null; confirmWith: { acceptUnverified: true } };
  };
}

/** The 409 a replay of such a request gets until the admin confirms with acceptUnverified. */
export function unverifiedReplayBody(id: string, failedRequestId: string, keyCheck: string | null): UnverifiedReplayBody {
  const subject = failedRequestId === id ? `request ${id}` : `request ${id} replays ${failedRequestId}, which`;
  const why = keyCheck === null ? '' : ` (${KEY_CHECKS[keyCheck] ?? keyCheck})`;
  return {
    error: {
      code: UNVERIFIED_REPLAY_CODE,
      message:
        `${subject} failed the webhook key check${why}, so nothing shows that nachocode sent it. ` +
        'Replay it with {"acceptUnverified": true} to store it anyway.',
      details: { requestId: id, failedRequestId, keyCheck, confirmWith: { acceptUnverified: true } },
    },
  };
}
