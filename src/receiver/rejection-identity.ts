import crypto from 'node:crypto';
import { AppError } from '../shared/errors';
import { classifyShape, dedupeKey, purchaseSchema, refundSchema, unavailableUsersSchema, type EventPayload } from '../nachocode';
import { parseJsonBody } from './receive';

// What a rejected request is kept with so reconciliation can tell what it was: the event its body
// names (the dedupe key the receiver would have given it), and a group shared by near-identical
// rejections (the same request sent again, or replayed, and refused for the same reason).

/** Only the fields a dedupe key is made of: an event that fails validation elsewhere still names itself. */
const identitySchemas = {
  purchase: purchaseSchema.pick({ environment: true, iapLogId: true }),
  refund: refundSchema.pick({ environment: true, iapLogId: true, refundedAt: true }),
} as const;

/**
 * The dedupe key of the event a body names, computed by the receiver's own dedupeKey, or null when
 * the body names none (not JSON, no valid identity). A purchase or refund needs only its identity
 * fields (environment, iapLogId, and refundedAt for a refund); an unavailable-users list is its
 * whole content, so it must be valid.
 */
export function dedupeKeyOfBody(body: Buffer | null): string | null {
  let value: unknown;
  try {
    // Whatever the Content-Type said: a JSON body sent as text/plain still names its event.
    value = parseJsonBody(undefined, body);
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
  const shape = classifyShape(value);
  if (shape === null) return null;
  const parsed = shape === 'unavailable_users' ? unavailableUsersSchema.safeParse(value) : identitySchemas[shape].safeParse(value);
  return parsed.success ? dedupeKey({ type: shape, payload: parsed.data } as EventPayload) : null;
}

export const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * The group of near-identical rejections: the same route (paths match case-insensitively, as the
 * router does), the same reason, and the same event, or for a body that names none, the same bytes
 * (the SHA-256 of the whole body received).
 */
export function rejectionGroupOf(path: string, reason: string | null, key: string | null, bodySha256: string): string {
  const what = key !== null ? `event:${key}` : `body:${bodySha256}`;
  return crypto
    .createHash('sha256')
    .update(`${path.toLowerCase()}\n${reason ?? ''}\n${what}`)
    .digest('hex')
    .slice(0, 32);
}

/** Both, for a rejected request: the body is the whole one received (before a keyless body is cut). */
export function rejectionIdentity(path: string, reason: string | null, body: Buffer | null): { dedupeKey: string | null; rejectionGroup: string } {
  const key = dedupeKeyOfBody(body);
  return { dedupeKey: key, rejectionGroup: rejectionGroupOf(path, reason, key, sha256(body ?? Buffer.alloc(0))) };
}
