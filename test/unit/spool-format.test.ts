import { decodeLine, decodeSegment, encodeEntry, type SpoolEntry } from '../../src/spool/format';

const raw = {
  id: 'req_01K0000000000000000000000A',
  receivedAt: 1_772_000_000_000,
  method: 'POST',
  path: '/webhooks/nachocode/purchase',
  query: null,
  headers: { 'content-type': 'application/json', authorization: 'Bearer ****abcd', 'x-dup': ['a', 'b'] },
  body: Buffer.from('{"iapLogId":1}'),
  bodySize: 14,
  bodySha256: null,
  contentType: 'application/json',
  remoteAddr: '127.0.0.1',
  requestId: 'r-1',
  keyFingerprint: 'fp',
  source: 'webhook' as const,
};
const event = {
  type: 'purchase' as const,
  environment: 'production',
  dedupeKey: 'purchase:production:1',
  contentHash: 'a'.repeat(64),
  payload: '{"iapLogId":1}',
  userId: 'u1',
  productId: 'p1',
  iapLogId: 1,
};
const eventEntry: SpoolEntry = { kind: 'event', spooledAt: 1, reason: 'locked', durationMs: 2.5, raw, event, answer: { status: 200, body: { spooled: true } } };
const rejectedEntry: SpoolEntry = {
  kind: 'rejected',
  spooledAt: 1,
  reason: 'disk full',
  durationMs: 1,
  raw: { ...raw, body: null },
  answer: { status: 401, body: { error: { code: 'unauthorized' } }, outcome: 'rejected', reason: 'unauthorized', eventId: null },
};

describe('spool format', () => {
  it.each<[string, SpoolEntry]>([
    ['an accepted event', eventEntry],
    ['a rejected request without a body', rejectedEntry],
    ['an event with values iaphook does not know', { ...eventEntry, event: { ...event, unknownValues: [{ field: 'productType', value: 'subscription' }] } }],
    ['a body that is not UTF-8', { ...eventEntry, raw: { ...raw, body: Buffer.from([0xff, 0xfe, 0x00, 0x80]) } }],
    ['a keyless request whose body was cut', { ...rejectedEntry, raw: { ...raw, body: Buffer.from('{"a"'), bodySize: 9000, bodySha256: 'ef'.repeat(32) } }],
    ['a rejected request that names its event', { ...rejectedEntry, raw: { ...raw, dedupeKey: 'purchase:production:1', rejectionGroup: 'ab'.repeat(16) } }],
  ])('when %s is encoded and decoded, then it comes back byte for byte', (_name, entry) => {
    const line = encodeEntry(entry);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeLine(line)).toEqual(entry);
  });

  it('when a line written before bodySha256 existed is read, then the hash is null', () => {
    const old = encodeEntry(eventEntry).replace(',"bodySha256":null', '');
    expect(old).not.toContain('bodySha256');
    expect(decodeLine(old)).toEqual(eventEntry);
  });

  const good = encodeEntry(eventEntry).trimEnd();
  it.each<[string, string]>([
    ['a line torn by a crash', good.slice(0, good.length - 7)],
    ['an empty object', '{}'],
    ['another format version', good.replace('"v":1', '"v":2')],
    ['an unknown kind', good.replace('"kind":"event"', '"kind":"other"')],
    ['a body that is not base64', good.replace(/"body":"[^"]*"/, '"body":"not base64!"')],
    ['plain text', 'hello'],
  ])('when the line is %s, then it is not an entry', (_name, line) => {
    expect(decodeLine(line)).toBeNull();
  });

  it('when a segment has entries, blank lines and a torn last line, then the entries come back in order and the torn line is counted', () => {
    const text = `${encodeEntry(eventEntry)}\n${encodeEntry(rejectedEntry)}${encodeEntry(eventEntry).slice(0, 40)}`;
    const { entries, bad } = decodeSegment(text);
    expect(entries.map((e) => e.kind)).toEqual(['event', 'rejected']);
    expect(bad).toBe(1);
  });
});
