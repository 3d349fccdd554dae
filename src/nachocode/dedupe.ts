import crypto from 'node:crypto';
import type { EventPayload } from './schemas';

/** JSON with object keys sorted at every level, so equal content hashes equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
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
