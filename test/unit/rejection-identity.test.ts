import { dedupeKeyOfBody, rejectionGroupOf, rejectionIdentity, sha256 } from '../../src/receiver/rejection-identity';
import { nacho } from '../support/fixtures';

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('dedupeKeyOfBody', () => {
  it.each<[string, unknown, string | null]>([
    ['a valid purchase', nacho.purchaseIos(), 'purchase:production:5012'],
    ['a purchase with an invalid field elsewhere', nacho.purchaseIos({ quantity: 'one', productType: 'subscription' }), 'purchase:production:5012'],
    [
      'a refund, its refundedAt as one instant',
      nacho.refundAndroid({ refundedAt: '2026-03-05T19:00:00+09:00', price: 'n/a' }),
      'refund:production:5013:2026-03-05T10:00:00.000Z',
    ],
    ['a purchase without iapLogId', nacho.purchaseIos({ iapLogId: undefined }), null],
    ['a purchase with an iapLogId as text', nacho.purchaseIos({ iapLogId: '5012' }), null],
    ['an unknown environment', nacho.purchaseIos({ environment: 'staging' }), null],
    ['a refund without refundedAt', nacho.refundAndroid({ refundedAt: undefined }), null],
    ['a valid unavailable-users list', nacho.unavailableUsers(), expect.stringMatching(/^unavailable_users:[0-9a-f]{64}$/)],
    ['an unavailable-users list that is invalid', { tokenNotFoundUserIds: 'user-1' }, null],
    ['an array', [nacho.purchaseIos()], null],
    ['not JSON', '{"iapLogId": 5012,', null],
    ['not UTF-8', Buffer.from([0xff, 0xfe]), null],
  ])('when the body is %s, then the key is %p', (_case, body, key) => {
    expect(dedupeKeyOfBody(Buffer.isBuffer(body) ? body : bytes(body))).toEqual(key);
  });

  it('when there is no body, then there is no key', () => {
    expect(dedupeKeyOfBody(null)).toBeNull();
  });
});

describe('rejectionGroupOf', () => {
  const hash = (text: string) => sha256(Buffer.from(text));
  const key = 'purchase:production:5012';
  const base = rejectionGroupOf('/webhooks/nachocode', 'unauthorized', key, hash('a'));
  it.each<[string, string, boolean]>([
    ['the same event in another body', rejectionGroupOf('/webhooks/nachocode', 'unauthorized', key, hash('b')), true],
    ['the path in other case', rejectionGroupOf('/Webhooks/NachoCode', 'unauthorized', key, hash('a')), true],
    ['another reason', rejectionGroupOf('/webhooks/nachocode', 'validation_failed', key, hash('a')), false],
    ['another route', rejectionGroupOf('/webhooks/nachocode/purchase', 'unauthorized', key, hash('a')), false],
    ['another event', rejectionGroupOf('/webhooks/nachocode', 'unauthorized', 'purchase:production:6001', hash('a')), false],
    ['no event, the same bytes', rejectionGroupOf('/webhooks/nachocode', 'unauthorized', null, hash('a')), false],
  ])('when it is %s, then same group: %p', (_case, group, same) => {
    expect(group === base).toBe(same);
  });

  it('when neither names an event, then the bytes decide', () => {
    expect(rejectionGroupOf('/webhooks/nachocode', 'invalid_json', null, hash('x'))).toBe(
      rejectionGroupOf('/webhooks/nachocode', 'invalid_json', null, hash('x')),
    );
    expect(rejectionGroupOf('/webhooks/nachocode', 'invalid_json', null, hash('x'))).not.toBe(
      rejectionGroupOf('/webhooks/nachocode', 'invalid_json', null, hash('y')),
    );
  });

  it('when a body is identified, then both parts come together', () => {
    expect(rejectionIdentity('/webhooks/nachocode', 'unauthorized', bytes(nacho.purchaseIos()))).toEqual({
      dedupeKey: key,
      rejectionGroup: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });
});
