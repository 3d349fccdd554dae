import type { PreparedEvent, RawRequestRecord } from '../../src/receiver';

/** A webhook's raw request as the receiver records it: a small JSON purchase POST, fields overridable. */
export function rawRecord(overrides: Partial<RawRequestRecord> = {}): RawRequestRecord {
  return {
    id: 'req_1',
    receivedAt: 1,
    method: 'POST',
    path: '/webhooks/nachocode/purchase',
    query: null,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{}'),
    bodySize: 2,
    bodySha256: null,
    contentType: 'application/json',
    remoteAddr: null,
    requestId: null,
    keyFingerprint: null,
    source: 'webhook',
    ...overrides,
  };
}

/** A purchase as the receiver prepares it for the store, fields overridable. */
export function preparedPurchase(overrides: Partial<PreparedEvent> = {}): PreparedEvent {
  return {
    type: 'purchase',
    environment: 'sandbox',
    dedupeKey: 'purchase:sandbox:1',
    contentHash: 'hash-a',
    payload: '{}',
    userId: 'u-1',
    productId: 'p-1',
    iapLogId: 1,
    ...overrides,
  };
}
