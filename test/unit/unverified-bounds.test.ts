import crypto from 'node:crypto';
import type { RawRequestRecord } from '../../src/receiver';
import { AddressQuota, boundRejected, cutBody, quotaStep, type QuotaPolicy } from '../../src/receiver/unverified';

// What a sender without the webhook key can make iaphook keep: the first bytes of the body, and
// so many requests per address and hour.

const HOUR = 3600 * 1000;
const T0 = Date.UTC(2026, 2, 1, 9);
const policy: QuotaPolicy = { perWindow: 3, windowMs: HOUR, maxAddresses: 2 };

const raw = (overrides: Partial<RawRequestRecord> = {}): RawRequestRecord => ({
  id: 'req_1',
  receivedAt: T0,
  method: 'POST',
  path: '/webhooks/nachocode/purchase',
  query: null,
  headers: {},
  body: Buffer.alloc(10_000, 'a'),
  bodySize: 10_000,
  bodySha256: null,
  contentType: 'application/json',
  remoteAddr: '203.0.113.7',
  requestId: null,
  keyFingerprint: null,
  source: 'webhook',
  ...overrides,
});

describe('quotaStep', () => {
  it.each<[string, { windowStart: number; count: number } | undefined, number, boolean, { windowStart: number; count: number }]>([
    ['the first request of an address', undefined, T0, true, { windowStart: T0, count: 1 }],
    ['a request within the quota', { windowStart: T0, count: 2 }, T0 + 1000, true, { windowStart: T0, count: 3 }],
    ['a request past the quota', { windowStart: T0, count: 3 }, T0 + 1000, false, { windowStart: T0, count: 3 }],
    ['the first request of the next hour', { windowStart: T0, count: 3 }, T0 + HOUR, true, { windowStart: T0 + HOUR, count: 1 }],
    ['a clock that went backwards', { windowStart: T0, count: 3 }, T0 - 1, true, { windowStart: T0 - 1, count: 1 }],
  ])('when %s arrives, then allowed is %p', (_name, entry, now, allowed, next) => {
    expect(quotaStep(entry, now, policy)).toEqual({ allowed, entry: next });
  });

  it('when the quota is 0, then nothing is kept', () => {
    expect(quotaStep(undefined, T0, { ...policy, perWindow: 0 }).allowed).toBe(false);
  });
});

describe('AddressQuota', () => {
  it('when one address floods, then others keep their own quota', () => {
    const quota = new AddressQuota(policy);
    const flood = Array.from({ length: 10 }, () => quota.take('198.51.100.1', T0));
    expect(flood).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(quota.take('198.51.100.2', T0)).toBe(true);
  });

  it('when more addresses arrive than are tracked, then the new ones share one quota until old windows expire', () => {
    const quota = new AddressQuota(policy);
    quota.take('a', T0);
    quota.take('b', T0);
    expect([quota.take('c', T0), quota.take('d', T0), quota.take('e', T0), quota.take('f', T0)]).toEqual([true, true, true, false]);
    expect(quota.take('g', T0 + HOUR)).toBe(true);
  });
});

describe('cutBody and boundRejected', () => {
  it('when a keyless body is longer than the limit, then its first bytes are kept with the whole size and SHA-256', () => {
    const kept = cutBody(raw(), 4096);
    expect(kept.body).toHaveLength(4096);
    expect(kept.bodySize).toBe(10_000);
    expect(kept.bodySha256).toBe(crypto.createHash('sha256').update(Buffer.alloc(10_000, 'a')).digest('hex'));
  });

  it('when a keyless body fits, then it is kept whole and unhashed', () => {
    expect(cutBody(raw({ body: Buffer.from('{}'), bodySize: 2 }), 4096)).toEqual(raw({ body: Buffer.from('{}'), bodySize: 2 }));
  });

  it.each<[string, Partial<RawRequestRecord>]>([
    ['passed the key check', { keyFingerprint: 'k1' }],
    ['is a replay an admin asked for', { source: 'replay' }],
    ['is an import', { source: 'import', keyFingerprint: 'import' }],
  ])('when the rejected request %s, then it is kept whole and uses no quota', (_name, overrides) => {
    const bounds = { bodyBytes: 10, quota: new AddressQuota({ ...policy, perWindow: 0 }), total: new AddressQuota({ ...policy, perWindow: 0 }) };
    expect(boundRejected(raw(overrides), bounds, T0)).toEqual(raw(overrides));
  });

  it('when a keyless address has used up its quota, then nothing is kept', () => {
    const bounds = { bodyBytes: 10, quota: new AddressQuota({ ...policy, perWindow: 1 }), total: new AddressQuota({ ...policy, perWindow: 100 }) };
    expect(boundRejected(raw(), bounds, T0)?.body).toHaveLength(10);
    expect(boundRejected(raw(), bounds, T0)).toBeNull();
  });

  it('when many addresses together reach the total, then nothing more is kept this hour, whatever the address', () => {
    const bounds = {
      bodyBytes: 10,
      quota: new AddressQuota({ ...policy, maxAddresses: 100 }),
      total: new AddressQuota({ ...policy, perWindow: 2, maxAddresses: 1 }),
    };
    const kept = ['a', 'b', 'c', 'd'].map((remoteAddr) => boundRejected(raw({ remoteAddr }), bounds, T0) !== null);
    expect(kept).toEqual([true, true, false, false]);
    expect(boundRejected(raw({ remoteAddr: 'e' }), bounds, T0 + HOUR)).not.toBeNull();
  });
});
