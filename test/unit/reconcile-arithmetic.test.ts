import { bucketize } from '../../src/reconciliation/chart';
import { consumptionDecision } from '../../src/ledger/consumption';
import { escapeHtml, html } from '../../src/reconciliation/html';
import { formatAge, parseBound } from '../../src/reconciliation/range';
import { mergeTotals } from '../../src/reconciliation/totals';

describe('parseBound', () => {
  it.each([
    ['a date as from', '2026-03-01', 'from', Date.UTC(2026, 2, 1)],
    ['a date as to (the whole day)', '2026-03-01', 'to', Date.UTC(2026, 2, 2) - 1],
    ['a UTC date-time', '2026-03-01T10:00:00Z', 'to', Date.UTC(2026, 2, 1, 10)],
    ['an offset date-time', '2026-03-01T10:00:00.500+09:00', 'from', Date.UTC(2026, 2, 1, 1, 0, 0, 500)],
    ['a word', 'yesterday', 'from', undefined],
    ['an impossible date', '2026-13-45', 'from', undefined],
    ['a date-time without a zone', '2026-03-01T10:00:00', 'from', undefined],
  ] as const)('when given %s, then it is %p', (_case, value, edge, expected) => {
    expect(parseBound(value, edge)).toBe(expected);
  });
});

describe('formatAge', () => {
  it.each([
    [40_000, '40 s'],
    [5 * 60_000, '5 min'],
    [3 * 3600_000 + 5 * 60_000, '3 h 5 min'],
    [2 * 3600_000, '2 h'],
    [3 * 86_400_000 + 4 * 3600_000, '3 d 4 h'],
    [-5, '0 s'],
  ])('when %i ms old, then it reads %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('mergeTotals', () => {
  it('when a product appears in some sums only, then the others are zero and net is gross minus refunded', () => {
    const totals = mergeTotals(
      [{ productId: 'b', productType: 'consumable', purchases: 2, unitsGranted: 7, grossPrice: 0.1 + 0.2 }],
      [
        { productId: 'b', productType: 'consumable', refunds: 1, unitsRefunded: 2, refundedPrice: 0.1 },
        { productId: 'a', productType: 'non-consumable', refunds: 1, unitsRefunded: 1, refundedPrice: 4900 },
      ],
      [{ productId: 'c', productType: null, unitsConsumed: 3 }],
    );
    expect(totals.map((t) => [t.productId, t.purchases, t.refunds, t.unitsConsumed, t.grossPrice, t.netPrice])).toEqual([
      ['a', 0, 1, 0, 0, -4900],
      ['b', 2, 1, 0, 0.3, 0.2],
      ['c', 0, 0, 3, 0, 0],
    ]);
  });
});

describe('consumptionDecision', () => {
  it.each([
    ['units are left', 'consumable', { purchased: 5, refunded: 0, consumed: 1 }, 4, { ok: true, balanceAfter: 0 }],
    ['more is asked than is left', 'consumable', { purchased: 5, refunded: 1, consumed: 2 }, 3, { ok: false, reason: 'insufficient_balance', available: 2 }],
    [
      'the balance is already negative',
      'consumable',
      { purchased: 5, refunded: 2, consumed: 4 },
      1,
      { ok: false, reason: 'insufficient_balance', available: 0 },
    ],
    ['nothing was ever bought', null, null, 1, { ok: false, reason: 'insufficient_balance', available: 0 }],
    ['the product is a non-consumable', 'non-consumable', { purchased: 1, refunded: 0, consumed: 0 }, 1, { ok: false, reason: 'not_consumable' }],
  ] as const)('when %s, then the decision is %j', (_case, type, totals, quantity, expected) => {
    expect(consumptionDecision(type, totals, quantity)).toEqual(expected);
  });
});

describe('bucketize', () => {
  it('when the range is short, then there is one bucket per day, empty days included', () => {
    const buckets = bucketize(
      [
        { day: '2026-03-02', productId: 'p', purchases: 2, refunds: 0 },
        { day: '2026-03-04', productId: 'p', purchases: 0, refunds: 1 },
        { day: '2026-04-01', productId: 'p', purchases: 9, refunds: 9 },
      ],
      Date.UTC(2026, 2, 1, 15),
      Date.UTC(2026, 2, 4, 23),
    );
    expect(buckets.map((b) => [b.start, b.purchases, b.refunds])).toEqual([
      ['2026-03-01', 0, 0],
      ['2026-03-02', 2, 0],
      ['2026-03-03', 0, 0],
      ['2026-03-04', 0, 1],
    ]);
  });

  it('when the range is a year, then buckets cover several days and no point is lost', () => {
    const points = [
      { day: '2025-01-01', productId: 'p', purchases: 1, refunds: 0 },
      { day: '2025-12-31', productId: 'p', purchases: 1, refunds: 1 },
    ];
    const buckets = bucketize(points, Date.UTC(2025, 0, 1), Date.UTC(2025, 11, 31));
    expect(buckets.length).toBeLessThanOrEqual(92);
    expect(buckets[0].start).toBe('2025-01-01');
    expect(buckets[buckets.length - 1].end).toBe('2025-12-31');
    expect(buckets.reduce((s, b) => s + b.purchases, 0)).toBe(2);
  });
});

describe('html escaping', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    [`" onmouseover='x'`, '&quot; onmouseover=&#39;x&#39;'],
    ['a & b', 'a &amp; b'],
  ])('when the text is %s, then it is escaped', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
    expect(html`<td title="${text}">${text}</td>`.value).toBe(`<td title="${escaped}">${escaped}</td>`);
  });
});
