import { dedupeKey, parseEvent } from '../../src/nachocode';
import { parseSendArgs } from '../../src/inspector/sender/cli';
import {
  buildPurchase,
  buildRefund,
  buildUnavailableUsers,
  DEFAULT_OPTIONS,
  iapLogIdFactory,
  planUnit,
  storeData,
  type SampleOptions,
} from '../../src/inspector/sender/payloads';
import { percentile, summarize, type SendResult } from '../../src/inspector/sender/send';

const NOW = Date.UTC(2026, 2, 2, 8, 15, 10);
const fixedRandom = () => 0.5;
const options = (o: Partial<SampleOptions> = {}): SampleOptions => ({ ...DEFAULT_OPTIONS, ...o });

describe('buildPurchase', () => {
  it.each<[string, Partial<SampleOptions>, Record<string, unknown>]>([
    [
      'the defaults',
      {},
      { os: 'ios', environment: 'sandbox', userId: 'user-demo', productType: 'consumable', productId: 'com.example.app.coins100', quantity: 1, price: 1200 },
    ],
    ['android', { os: 'android' }, { os: 'android' }],
    ['production', { environment: 'production' }, { environment: 'production' }],
    ['a non-consumable', { productType: 'non-consumable' }, { productType: 'non-consumable', productId: 'com.example.app.premium_unlock', price: 4900 }],
    ['a named product', { productId: 'com.acme.gold' }, { productId: 'com.acme.gold', nachoProductId: expect.stringMatching(/^NP-SAMPLE-[0-9A-F]{8}$/) }],
    ['a quantity', { quantity: 5 }, { quantity: 5, price: 6000 }],
    ['a user', { userId: 'user-42' }, { userId: 'user-42' }],
  ])('when built with %s, then the receiver accepts it as a purchase with those fields', (_name, o, expected) => {
    const body = buildPurchase(options(o), 1234, NOW);
    expect(parseEvent('purchase', JSON.parse(JSON.stringify(body)))).toEqual({ type: 'purchase', payload: body });
    expect(body).toMatchObject({ ...expected, iapLogId: 1234, verifiedAt: new Date(NOW).toISOString() });
    expect(Date.parse(body.requestedAt!)).toBeLessThan(Date.parse(body.purchasedAt));
  });
});

describe('buildRefund', () => {
  it.each<[string, Partial<SampleOptions>, Record<string, unknown>]>([
    ['the defaults (a full refund)', {}, { refundQuantity: 1 }],
    ['a partial refund', { quantity: 5, refundQuantity: 2 }, { quantity: 5, refundQuantity: 2 }],
    ['android in production', { os: 'android', environment: 'production' }, { os: 'android', environment: 'production' }],
  ])('when built with %s, then the receiver accepts it as a refund', (_name, o, expected) => {
    const body = buildRefund(options(o), 77, NOW);
    expect(parseEvent('refund', JSON.parse(JSON.stringify(body))).type).toBe('refund');
    expect(body).toMatchObject({ ...expected, iapLogId: 77, refundedAt: new Date(NOW).toISOString() });
  });

  it.each(['ios', 'android'] as const)('when a %s refund is built for a purchase, then it carries the same user, product and store ids', (os) => {
    const purchase = buildPurchase(options({ os }), 99, NOW - 5000);
    const refund = buildRefund(options({ os }), 99, NOW);
    for (const key of ['userId', 'productId', 'nachoProductId', 'environment', 'data'] as const) expect(refund[key]).toEqual(purchase[key]);
  });
});

describe('storeData', () => {
  it.each<[string, 'ios' | 'android', number, Record<string, string>]>([
    ['ios', 'ios', 5012, { originalTransactionId: '20000000000005012', transactionId: '20000000000005012' }],
    ['android', 'android', 5012, { orderId: 'GPA.0000-0000-0000-05012', purchaseToken: 'sample-token-3v8.AO-J1Oy005012' }],
  ])('when the store is %s, then the ids derive from the iapLogId', (_name, os, id, expected) => {
    expect(storeData(os, id)).toEqual(expected);
  });
});

describe('buildUnavailableUsers', () => {
  it.each<[string, Partial<SampleOptions>]>([
    ['no user', {}],
    ['a user', { userId: 'user-42' }],
  ])('when built with %s, then the receiver accepts it', (_name, o) => {
    const body = buildUnavailableUsers(o, fixedRandom);
    expect(parseEvent('unavailable-users', body).type).toBe('unavailable_users');
    if (o.userId !== undefined) expect(body.tokenNotFoundUserIds).toEqual([o.userId]);
  });
});

describe('planUnit', () => {
  const context = { now: NOW, random: fixedRandom };
  const nextId = iapLogIdFactory(context);

  it.each<[string, 'purchase' | 'refund' | 'unavailable-users', Partial<SampleOptions>, string[]]>([
    ['a purchase', 'purchase', {}, ['purchase']],
    ['a refund of an earlier purchase', 'refund', { forPurchase: 42 }, ['refund']],
    ['a refund without a purchase', 'refund', {}, ['purchase', 'refund']],
    ['unavailable users', 'unavailable-users', {}, ['unavailable-users']],
  ])('when planning %s, then the routes are %p', (_name, kind, o, routes) => {
    expect(planUnit(kind, options(o), 0, nextId, context).map((r) => r.route)).toEqual(routes);
  });

  it('when a refund is planned without a purchase, then it refunds the purchase sent just before it', () => {
    const [purchase, refund] = planUnit('refund', options(), 3, nextId, context).map((r) => r.body as { iapLogId: number });
    expect(refund.iapLogId).toBe(purchase.iapLogId);
  });

  it('when many units are planned, then every event has its own dedupe key', () => {
    const keys = Array.from({ length: 500 }, (_, seq) => planUnit('refund', options({ forPurchase: 42 }), seq, nextId, context)[0])
      .concat(Array.from({ length: 500 }, (_, seq) => planUnit('purchase', options(), seq, nextId, context)[0]))
      .map((r) => dedupeKey(parseEvent(r.route, r.body)));
    expect(new Set(keys).size).toBe(1000);
  });

  it('when iapLogIds are made, then they are safe integers that differ per sequence number', () => {
    const ids = [0, 1, 999_999].map(nextId);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(Number.isSafeInteger(id) && id > 0).toBe(true);
  });
});

describe('parseSendArgs', () => {
  it.each<[string, string[], Record<string, unknown>]>([
    [
      'only the kind',
      ['purchase'],
      {
        kind: 'purchase',
        url: null,
        key: null,
        count: 1,
        concurrency: 4,
        options: { ...DEFAULT_OPTIONS, productId: undefined, refundQuantity: undefined, forPurchase: undefined },
      },
    ],
    [
      'every option',
      [
        'refund',
        '--url',
        'https://webhook.site/x',
        '--key',
        'k'.repeat(16),
        '--os',
        'android',
        '--environment',
        'production',
        '--user',
        'u1',
        '--product',
        'p1',
        '--non-consumable',
        '--quantity',
        '3',
        '--refund-quantity',
        '2',
        '--for-purchase',
        '77',
        '--count',
        '5',
        '--concurrency',
        '2',
      ],
      {
        kind: 'refund',
        url: 'https://webhook.site/x',
        key: 'k'.repeat(16),
        count: 5,
        concurrency: 2,
        options: {
          os: 'android',
          environment: 'production',
          userId: 'u1',
          productId: 'p1',
          productType: 'non-consumable',
          quantity: 3,
          refundQuantity: 2,
          forPurchase: 77,
        },
      },
    ],
    ['--consumable', ['purchase', '--consumable'], { options: expect.objectContaining({ productType: 'consumable' }) }],
  ])('when the arguments are %s, then they parse', (_name, argv, expected) => {
    expect(parseSendArgs(argv)).toMatchObject(expected);
  });

  it.each<[string, string[]]>([
    ['an unknown kind', ['gift']],
    ['an unknown os', ['purchase', '--os', 'web']],
    ['a zero quantity', ['purchase', '--quantity', '0']],
    ['a URL that is not http', ['purchase', '--url', 'ftp://x']],
    ['both product types', ['purchase', '--consumable', '--non-consumable']],
    ['--for-purchase on a purchase', ['purchase', '--for-purchase', '3']],
  ])('when the arguments have %s, then they are refused', (_name, argv) => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => parseSendArgs(argv)).toThrow();
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('summarize', () => {
  const result = (status: number | null, latencyMs: number): SendResult => ({ label: 'x', url: 'u', status, latencyMs, answer: '', ok: status === 200 });
  it('when results are summarised, then statuses are counted and latencies ranked', () => {
    const results = [result(200, 10), result(200, 20), result(409, 30), result(null, 40)];
    expect(summarize(results, 2000)).toEqual({
      total: 4,
      ok: 2,
      failed: 2,
      byStatus: { '200': 2, '409': 1, error: 1 },
      p50Ms: 20,
      p95Ms: 40,
      maxMs: 40,
      perSecond: 2,
    });
  });
  it.each([
    [[], 50, 0],
    [[5], 95, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 100, 4],
  ])('when the percentile of %p at %i is taken, then it is %i', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});
