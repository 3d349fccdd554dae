import { bucketize, productChart } from './chart';
import { html, inspectorLink, type Html } from './html';
import { PAGE_SCRIPT_PATH } from './page-script';
import type { ProductTotals, ReconciliationReport, ReportAnomaly, ReportAnomalyCode, TimeRange } from './types';

/** The two questions the page answers, each with the codes that answer it. */
const GROUPS: Array<{ title: string; codes: ReportAnomalyCode[] }> = [
  { title: 'Events we never received or never applied', codes: ['orphan_refund', 'unknown_value', 'rejected_request', 'stuck_event', 'conflicting_duplicate'] },
  {
    title: 'Entitlements to review',
    codes: ['negative_balance', 'over_refund', 'duplicate_transaction_id', 'environment_mismatch', 'refund_mismatch'],
  },
];

const REPORT_CODES_SHOWN = GROUPS.flatMap((g) => g.codes);

const CHARTED_PRODUCTS = 12;

export interface PageView {
  /** The days the chart spans, epoch ms (both ends closed: the chart needs them). */
  from: number;
  to: number;
  /** The range the report was asked for; open ends mean all time. */
  chosen: TimeRange;
}

function layout(title: string, body: Html, script = false): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${title}</title>
<link rel="stylesheet" href="/reconciliation/style.css">${script ? html`<script src="${PAGE_SCRIPT_PATH}" defer></script>` : ''}</head>
<body><main>${body}</main></body></html>`.value;
}

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function rangeText(range: TimeRange): string {
  if (range.from === null && range.to === null) return 'all time';
  if (range.to === null) return `since ${dateOf(range.from!)} (UTC)`;
  if (range.from === null) return `until ${dateOf(range.to)} (UTC)`;
  return `${dateOf(range.from)} to ${dateOf(range.to)} (UTC)`;
}
const n = (value: number) => value.toLocaleString('en-US');

function filters(report: ReconciliationReport, view: PageView): Html {
  const option = (value: string, selected: boolean, label = value) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/reconciliation">
<label>Environment<select name="environment">${option('production', report.environment === 'production')}${option('sandbox', report.environment === 'sandbox')}</select></label>
<label>From<input type="date" name="from" value="${view.chosen.from === null ? '' : dateOf(view.chosen.from)}"></label>
<label>To<input type="date" name="to" value="${view.chosen.to === null ? '' : dateOf(view.chosen.to)}"></label>
<label>Anomalies<select name="include">${option('open', !report.includeAcknowledged, 'open')}${option('acknowledged', report.includeAcknowledged, 'open and acknowledged')}</select></label>
<button type="submit">Show</button></form>`;
}

/** The same report with acknowledged anomalies listed, or without. */
function includeLink(report: ReconciliationReport, view: PageView, include: 'open' | 'acknowledged'): string {
  const params = new URLSearchParams({ environment: report.environment });
  if (view.chosen.from !== null) params.set('from', dateOf(view.chosen.from));
  if (view.chosen.to !== null) params.set('to', dateOf(view.chosen.to));
  if (include === 'acknowledged') params.set('include', 'acknowledged');
  return `/reconciliation?${params.toString()}`;
}

function cards(report: ReconciliationReport): Html {
  const o = report.overall;
  const card = (label: string, value: string) => html`<div class="card"><div class="value">${value}</div><div class="label">${label}</div></div>`;
  return html`<section class="cards">${[
    card('purchases', n(o.purchases)),
    card('refunds', n(o.refunds)),
    card('units granted', n(o.unitsGranted)),
    card('units refunded', n(o.unitsRefunded)),
    card('units consumed', n(o.unitsConsumed)),
    card('gross', n(o.grossPrice)),
    card('refunded', n(o.refundedPrice)),
    card('net', n(o.netPrice)),
  ]}</section>`;
}

const acknowledgeUrl = (id: string) => `/api/reconciliation/anomalies/${encodeURIComponent(id)}/acknowledge`;

/** Who acknowledged it and why; for an open one, the form that acknowledges it (acknowledge.js posts it). */
function acknowledgement(a: ReportAnomaly): Html {
  if (a.acknowledgement !== null) {
    const k = a.acknowledgement;
    return html`<div class="ack-note">Acknowledged by <code>${k.by}</code> at ${k.at}: ${k.reason}</div>`;
  }
  const before = a.evidence.details.acknowledgedBefore as { by?: string; reason?: string; at?: string } | undefined;
  const again = before
    ? html`<div class="ack-note">Acknowledged by <code>${before.by}</code> at ${before.at} (${before.reason}), and seen again since.</div>`
    : '';
  return html`${again}<form class="ack" method="post" action="${acknowledgeUrl(a.id)}">
<input name="reason" required maxlength="2000" placeholder="Why it needs nothing more (required)" aria-label="Reason">
<button type="submit">Acknowledge</button><output></output></form>`;
}

function anomalyItem(a: ReportAnomaly): Html {
  const links = [
    ...a.evidence.eventIds.map((id) => html`<a href="${inspectorLink.event(id)}">event ${id}</a>`),
    ...a.evidence.rawRequestIds.map((id) => html`<a href="${inspectorLink.request(id)}">request ${id}</a>`),
  ];
  const when = a.count > 1 ? html`<span>${n(a.count)} times, ${a.firstSeen} to ${a.lastSeen}</span>` : html`<span>${a.at}</span>`;
  return html`<li${a.acknowledgement !== null ? html` class="acknowledged"` : ''}><div>${a.explanation}</div><div class="meta">
${a.userId ? html`<span>user <code>${a.userId}</code></span>` : ''}
${a.productId ? html`<span>product <code>${a.productId}</code></span>` : ''}
${when}${links}<span>id <code>${a.id}</code></span></div>${acknowledgement(a)}</li>`;
}

function anomalies(report: ReconciliationReport, view: PageView): Html {
  const listed = (code: ReportAnomalyCode) => report.anomalyCounts[code] + (report.includeAcknowledged ? report.acknowledgedCounts[code] : 0);
  const acknowledged = REPORT_CODES_SHOWN.reduce((sum, code) => sum + report.acknowledgedCounts[code], 0);
  const toggle = report.includeAcknowledged
    ? html`<p class="muted">Showing open and acknowledged anomalies. <a href="${includeLink(report, view, 'open')}">Show open ones only</a></p>`
    : acknowledged > 0
      ? html`<p class="muted">${n(acknowledged)} acknowledged not shown. <a href="${includeLink(report, view, 'acknowledged')}">Show acknowledged ones too</a></p>`
      : '';
  return html`${toggle}${GROUPS.map((group) => {
    const total = group.codes.reduce((sum, code) => sum + report.anomalyCounts[code], 0);
    const chips = group.codes.map((code) => {
      const count = report.anomalyCounts[code];
      return count > 0 ? html`<li><a class="has" href="#${code}">${code} ${n(count)}</a></li>` : html`<li><span>${code} 0</span></li>`;
    });
    const sections = group.codes
      .filter((code) => listed(code) > 0)
      .map((code) => {
        const items = report.anomalies.filter((a) => a.code === code);
        const more = listed(code) - items.length;
        const ackNote = report.includeAcknowledged && report.acknowledgedCounts[code] > 0 ? `, ${n(report.acknowledgedCounts[code])} acknowledged` : '';
        return html`<h3 id="${code}">${code} (${n(report.anomalyCounts[code])}${ackNote})</h3><ul class="anomalies">${items.map(anomalyItem)}</ul>${
          more > 0 ? html`<p class="muted">${n(more)} more not shown; narrow the dates or use the API.</p>` : ''
        }`;
      });
    return html`<h2>${group.title}: ${n(total)}</h2><ul class="chips">${chips}</ul>${sections}`;
  })}`;
}

function charts(report: ReconciliationReport, view: PageView): Html {
  const products = [...new Set(report.daily.map((p) => p.productId))].sort();
  if (products.length === 0) return html`<p class="muted">No purchases or refunds in this range.</p>`;
  const shown = products.slice(0, CHARTED_PRODUCTS).map((productId) => {
    const buckets = bucketize(
      report.daily.filter((p) => p.productId === productId),
      view.from,
      view.to,
    );
    return html`<div class="product-chart"><h3><code>${productId}</code></h3>${productChart(productId, buckets)}</div>`;
  });
  const hidden = products.length - CHARTED_PRODUCTS;
  return html`<div class="legend"><span><span class="swatch p"></span>purchases (up)</span><span><span class="swatch r"></span>refunds (down)</span></div>
${shown}${hidden > 0 ? html`<p class="muted">${hidden} more products are in the totals table.</p>` : ''}`;
}

function totalsTable(totals: ProductTotals[]): Html {
  if (totals.length === 0) return html`<p class="muted">Nothing in this range.</p>`;
  const row = (t: ProductTotals) => html`<tr><td><code>${t.productId}</code><br><span class="muted">${t.productType ?? ''}</span></td>
<td>${n(t.purchases)}</td><td>${n(t.refunds)}</td><td>${n(t.unitsGranted)}</td><td>${n(t.unitsRefunded)}</td><td>${n(t.unitsConsumed)}</td>
<td>${n(t.grossPrice)}</td><td>${n(t.refundedPrice)}</td><td>${n(t.netPrice)}</td></tr>`;
  return html`<div class="table-wrap"><table><thead><tr><th>Product</th><th>Purchases</th><th>Refunds</th><th>Units<br>granted</th>
<th>Units<br>refunded</th><th>Units<br>consumed</th><th>Gross</th><th>Refunded</th><th>Net</th></tr></thead><tbody>${totals.map(row)}</tbody></table></div>`;
}

export function renderReportPage(report: ReconciliationReport, view: PageView): string {
  return layout(
    'Reconciliation · iaphook',
    html`<header><div><h1>Reconciliation</h1><div class="muted">${report.environment}, ${rangeText(view.chosen)}, generated ${report.generatedAt}</div></div>
<a href="/inspector">Inspector</a></header>
${filters(report, view)}${cards(report)}${anomalies(report, view)}
<h2>Purchases and refunds per day</h2>${charts(report, view)}
<h2>Totals per product</h2>${totalsTable(report.totals)}
<h2>Webhooks nachocode sent that never arrived</h2>
<p>nachocode does not retry, so a lost webhook leaves no trace here. Export the purchase list from the nachocode dashboard and compare:
<code>npm run reconcile -- --file export.csv --environment ${report.environment}</code>; add <code>--ingest</code> to import what is missing.</p>`,
    true,
  );
}

/** The inspector's sign-in page sets the shared admin cookie; `next` brings the user back here. */
export function renderSignInPage(signinPath: string, next: string, reason: string): string {
  const href = `${signinPath}?next=${encodeURIComponent(next)}`;
  return layout(
    'Sign in · iaphook',
    html`<h1>Reconciliation</h1><p class="notice">${reason}</p><p><a href="${href}">Sign in</a> with an admin token to see the report.</p>`,
  );
}

/** A query the API would refuse (400): its message and the fields it names, and a way back. */
export function renderQueryErrorPage(error: { message: string; details?: unknown }): string {
  const fields = ((error.details as { fields?: Array<{ field: string; message: string }> } | undefined)?.fields ?? []).map(
    (f) => html`<li><code>${f.field}</code>: ${f.message}</li>`,
  );
  return layout(
    'Reconciliation · iaphook',
    html`<h1>Reconciliation</h1><p class="notice">${error.message}</p><ul>${fields}</ul><p><a href="/reconciliation">Show all time</a></p>`,
  );
}
