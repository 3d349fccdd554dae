import crypto from 'node:crypto';
import type { RawRequestRecord } from './types';

// What a sender without the webhook key can make iaphook keep. Every request is recorded so a
// lost event can be found and replayed, but one that failed the key check may come from anyone who
// knows the URL: its body is cut to a few KB (nachocode's are under 1 KB) and each remote address
// gets a quota, so a flood can neither fill the disk nor push genuine rejections out.

/** Failed the key check (or came to no webhook route without a key), from the outside world. */
export function isUnverified(raw: RawRequestRecord): boolean {
  return raw.keyFingerprint === null && raw.source === 'webhook';
}

/**
 * The first maxBytes of the body, with the whole body's SHA-256 (its size is already kept), so
 * two floods of the same bytes can still be told apart from one genuine request. The slice is
 * copied: a view would keep the whole received buffer alive until the write.
 */
export function cutBody(raw: RawRequestRecord, maxBytes: number): RawRequestRecord {
  if (raw.body === null || raw.body.length <= maxBytes) return raw;
  return { ...raw, body: Buffer.from(raw.body.subarray(0, maxBytes)), bodySha256: crypto.createHash('sha256').update(raw.body).digest('hex') };
}

export interface QuotaPolicy {
  /** Requests kept per address and window. */
  perWindow: number;
  windowMs: number;
  /** Addresses tracked at once; beyond that, new addresses share one overflow quota. */
  maxAddresses: number;
}

export interface QuotaEntry {
  windowStart: number;
  count: number;
}

/** Pure: one more request from an address; the entry after it and whether it fits the quota. */
export function quotaStep(entry: QuotaEntry | undefined, now: number, policy: QuotaPolicy): { allowed: boolean; entry: QuotaEntry } {
  const current = entry === undefined || now - entry.windowStart >= policy.windowMs || now < entry.windowStart ? { windowStart: now, count: 0 } : entry;
  const allowed = current.count < policy.perWindow;
  return { allowed, entry: allowed ? { windowStart: current.windowStart, count: current.count + 1 } : current };
}

const OVERFLOW = '(other addresses)';

/** Fixed-window counters per remote address, in memory (a restart forgets them; the disk bound holds anyway). */
export class AddressQuota {
  private readonly entries = new Map<string, QuotaEntry>();

  constructor(private readonly policy: QuotaPolicy) {}

  /** Counts one request from the address; false once its quota for the window is used up. */
  take(address: string | null, now: number): boolean {
    let key = address ?? OVERFLOW;
    if (!this.entries.has(key) && this.entries.size >= this.policy.maxAddresses) {
      this.forgetExpired(now);
      if (this.entries.size >= this.policy.maxAddresses) key = OVERFLOW;
    }
    const step = quotaStep(this.entries.get(key), now, this.policy);
    this.entries.set(key, step.entry);
    return step.allowed;
  }

  private forgetExpired(now: number): void {
    for (const [key, entry] of this.entries) if (now - entry.windowStart >= this.policy.windowMs) this.entries.delete(key);
  }
}

export interface UnverifiedBounds {
  bodyBytes: number;
  /** Per remote address. */
  quota: AddressQuota;
  /** For all addresses together (one key): many addresses cannot add up to an unbounded write rate. */
  total: AddressQuota;
}

const ALL = '*';

/** The record to keep for a rejected request, or null when its address, or everyone, has used up the quota. */
export function boundRejected(raw: RawRequestRecord, bounds: UnverifiedBounds | undefined, now: number): RawRequestRecord | null {
  if (bounds === undefined || !isUnverified(raw)) return raw;
  if (!bounds.quota.take(raw.remoteAddr, now) || !bounds.total.take(ALL, now)) return null;
  return cutBody(raw, bounds.bodyBytes);
}
