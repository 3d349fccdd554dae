import { chartWindow } from '../../src/reconciliation/page';
import type { ReconciliationReport } from '../../src/reconciliation/types';

// The days the page's chart spans: the chosen range, with an open end closed at the data's first
// or last day. It must hold for any amount of data (Math.min(...days) overflowed the stack).

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);
const NOW = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const reportWith = (days: number[]) => ({ daily: days.map((d) => ({ day: iso(d) })) }) as unknown as ReconciliationReport;

describe('chartWindow', () => {
  it.each<[string, number[], { from: number | null; to: number | null }, { from: number; to: number }]>([
    ['no data and all time', [], { from: null, to: null }, { from: NOW, to: NOW }],
    ['data and all time', [T0 + 5 * DAY, T0, T0 + 2 * DAY], { from: null, to: null }, { from: T0, to: T0 + 5 * DAY }],
    ['data and a closed range', [T0], { from: T0 - DAY, to: T0 + DAY }, { from: T0 - DAY, to: T0 + DAY }],
    ['data and only from', [T0, T0 + 3 * DAY], { from: T0 + DAY, to: null }, { from: T0 + DAY, to: T0 + 3 * DAY }],
    ['data and only to', [T0, T0 + 3 * DAY], { from: null, to: T0 + DAY }, { from: T0, to: T0 + DAY }],
  ])('when there is %s, then the chart spans the expected days', (_name, days, range, expected) => {
    expect(chartWindow(reportWith(days), range, NOW)).toMatchObject(expected);
  });

  it('when there are 200,000 daily points, then the window is found without a RangeError', () => {
    const days = Array.from({ length: 200_000 }, (_, i) => T0 + (i % 3650) * DAY);
    expect(chartWindow(reportWith(days), { from: null, to: null }, NOW)).toMatchObject({ from: T0, to: T0 + 3649 * DAY });
  });
});
