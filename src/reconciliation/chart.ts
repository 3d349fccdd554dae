import { html, type Html } from './html';
import type { DailyPoint } from './types';

const DAY_MS = 24 * 3600 * 1000;
const WIDTH = 640;
const HALF = 44;
const TOP = 14;
const LEFT = 36;
// More bars than this and each bar covers several days, so a year stays readable.
const MAX_BARS = 92;

export interface Bucket {
  start: string;
  end: string;
  purchases: number;
  refunds: number;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One product's points laid on consecutive buckets from `from` to `to` (UTC days, inclusive). */
export function bucketize(points: DailyPoint[], from: number, to: number): Bucket[] {
  const first = Date.parse(`${dayOf(from)}T00:00:00Z`);
  const days = Math.max(1, Math.floor((Date.parse(`${dayOf(to)}T00:00:00Z`) - first) / DAY_MS) + 1);
  const per = Math.ceil(days / MAX_BARS);
  const buckets: Bucket[] = [];
  for (let d = 0; d < days; d += per) {
    buckets.push({ start: dayOf(first + d * DAY_MS), end: dayOf(first + Math.min(days - 1, d + per - 1) * DAY_MS), purchases: 0, refunds: 0 });
  }
  for (const p of points) {
    const index = Math.floor((Date.parse(`${p.day}T00:00:00Z`) - first) / DAY_MS / per);
    if (index < 0 || index >= buckets.length) continue;
    buckets[index].purchases += p.purchases;
    buckets[index].refunds += p.refunds;
  }
  return buckets;
}

/**
 * Purchases as bars above the axis, refunds below, one bar per bucket; a <title> on each bar is the
 * tooltip, so the chart needs no script. Colours come from the stylesheet (light and dark).
 */
export function productChart(productId: string, buckets: Bucket[]): Html {
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.purchases, b.refunds)));
  const slot = (WIDTH - LEFT) / Math.max(1, buckets.length);
  const bar = Math.min(24, Math.max(1, slot * 0.7));
  const axis = TOP + HALF;
  const scale = (n: number) => (n / max) * HALF;
  const label = (b: Bucket) => (b.start === b.end ? b.start : `${b.start} to ${b.end}`);
  const bars = buckets.map((b, i) => {
    const x = (LEFT + i * slot + (slot - bar) / 2).toFixed(1);
    const title = `${label(b)}: ${b.purchases} purchase${b.purchases === 1 ? '' : 's'}, ${b.refunds} refund${b.refunds === 1 ? '' : 's'}`;
    return html`<g><title>${title}</title>${
      b.purchases > 0
        ? html`<rect class="bar-p" x="${x}" y="${(axis - scale(b.purchases)).toFixed(1)}" width="${bar.toFixed(1)}" height="${scale(b.purchases).toFixed(1)}"/>`
        : ''
    }${b.refunds > 0 ? html`<rect class="bar-r" x="${x}" y="${axis}" width="${bar.toFixed(1)}" height="${scale(b.refunds).toFixed(1)}"/>` : ''}</g>`;
  });
  const height = TOP + 2 * HALF + 18;
  const first = buckets[0]?.start ?? '';
  const last = buckets[buckets.length - 1]?.end ?? '';
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${`Purchases and refunds of ${productId} per day`}">
<text class="axis-label" x="0" y="${TOP + 4}">${max}</text>
<text class="axis-label" x="0" y="${axis + HALF}">${max}</text>
<line class="axis" x1="${LEFT}" y1="${axis}" x2="${WIDTH}" y2="${axis}"/>
${bars}
<text class="axis-label" x="${LEFT}" y="${height - 2}">${first}</text>
<text class="axis-label end" x="${WIDTH}" y="${height - 2}">${last}</text>
</svg>`;
}
