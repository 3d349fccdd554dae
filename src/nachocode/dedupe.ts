import crypto from 'node:crypto';
import type { EventPayload } from './schemas';

/**
 * JSON with object keys sorted at every level, so equal content hashes equally whatever the key order.
 * Stored events keep the hash of this form (a resent event is compared by it), so the output must
 * never change; it is built by appending rather than map/join, which allocated an array per level
 * on every webhook.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${canonicalJson((value as Record<string, unknown>)[keys[i]])}`;
  }
  return `${out}}`;
}

export function contentHash(body: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * nachocode sends no event id, so identity comes from the payload: a purchase is one iapLogId in
 * one environment; a refund is one refundedAt of that purchase (partial refunds are separate
 * events); an unavailable-users list is its own content.
 */
export function dedupeKey(event: EventPayload): string {
  switch (event.type) {
    case 'purchase':
      return `purchase:${event.payload.environment}:${event.payload.iapLogId}`;
    case 'refund':
      return `refund:${event.payload.environment}:${event.payload.iapLogId}:${new Date(event.payload.refundedAt).toISOString()}`;
    case 'unavailable_users':
      return `unavailable_users:${contentHash(event.payload)}`;
  }
}
