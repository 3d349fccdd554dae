import type { FieldMismatch } from './compare';
import type { ReconcileSummary } from './reconcile-file';
import type { ReconciliationReport, ReportAnomalyCode } from './types';

export interface Samples {
  missing: Array<Record<string, unknown>>;
  extra: Array<Record<string, unknown>>;
  mismatched: Array<Record<string, unknown> & { fields: FieldMismatch[] }>;
  invalid: Array<{ line: number; problems: string[] }>;
}

export interface RunStats {
  elapsedMs: number;
  peakRssMb: number;
  jsonPath: string | null;
  /** Imported events applied by this run (local mode), or null when the server applies them. */
  applied: boolean | null;
  /** How many anomalies to list (--show). */
  show?: number;
}

const n = (v: number) => v.toLocaleString('en-US');
const pad = (s: string, width: number) => s.padStart(width);
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function row(label: string, counts: { purchase: number; refund: number }, note: string): string {
  return `  ${label.padEnd(32)}${pad(n(counts.purchase), 10)}${pad(n(counts.refund), 10)}   ${note}`;
}

function listing(title: string, total: number, lines: string[]): string[] {
  if (total === 0) return [];
  const shown = lines.length < total ? ` (first ${lines.length} of ${n(total)})` : '';
  return ['', `${title}${shown}:`, ...lines.map((l) => `  ${l}`)];
}

const identity = (i: Record<string, unknown>) =>
  `${str(i.type).padEnd(8)} iapLogId ${str(i.iapLogId)}${i.refundedAt ? ` refundedAt ${str(i.refundedAt)}` : ''}`;

function table(s: ReconcileSummary, stats: RunStats): string[] {
  const ranges = (['purchase', 'refund'] as const)
    .map((t) => (s.ranges[t] ? `${t}s ${s.ranges[t]!.from} to ${s.ranges[t]!.to}` : null))
    .filter((x) => x !== null)
    .join('; ');
  const lines = [
    `Reconciled ${s.file} (${s.format}) with the ${s.environment} ledger (${s.ledger})`,
    '',
    `  rows read ${n(s.rows.read)} · compared ${n(s.rows.compared)} · matched ${n(s.rows.matched)} · other environment ${n(s.rows.otherEnvironment)}` +
      ` · ignored ${n(s.rows.ignored)} · repeated in file ${n(s.rows.duplicateInFile)} · unreadable ${n(s.rows.invalid)}`,
    '',
    `  ${''.padEnd(32)}${pad('purchases', 10)}${pad('refunds', 10)}`,
    row('missing from the ledger', s.missing, 'lost webhooks: resend from the nachocode dashboard, or rerun with --ingest'),
    row('in the ledger, not in the file', s.extra, ranges === '' ? '' : `checked over ${ranges}`),
    row('mismatched fields', s.mismatched, ''),
  ];
  if (s.ingest !== null) {
    const i = s.ingest;
    const applied = stats.applied === true ? 'applied to the ledger' : 'queued: the running iaphook server applies them';
    lines.push('', `  --ingest: ${n(i.stored)} imported, ${n(i.duplicate)} already there, ${n(i.conflict + i.rejected)} refused; ${applied}.`);
  }
  return lines;
}

function listings(s: ReconcileSummary, samples: Samples): string[] {
  const missing = samples.missing.map((m) => {
    const ingested = m.ingested as { outcome: string; error: string | null } | undefined;
    const note = ingested ? `  [${ingested.outcome}${ingested.error ? `: ${ingested.error}` : ''}]` : '';
    return `line ${str(m.line)}  ${identity(m)}  ${str(m.userId)}  ${str(m.productId)}${note}`;
  });
  const extra = samples.extra.map((e) => `${identity(e)}  ${str(e.userId)}  ${str(e.productId)}  ${str(e.eventId)} (${str(e.source)}, ${str(e.status)})`);
  const mismatched = samples.mismatched.map(
    (m) =>
      `line ${str(m.line)}  ${identity(m)}  ${str(m.eventId)}: ${m.fields.map((f) => `${f.field} file ${str(f.file)} / ledger ${str(f.ledger)}`).join('; ')}`,
  );
  return [
    ...listing('Missing from the ledger', s.missing.purchase + s.missing.refund, missing),
    ...listing('In the ledger, not in the file', s.extra.purchase + s.extra.refund, extra),
    ...listing('Mismatched fields', s.mismatched.purchase + s.mismatched.refund, mismatched),
    ...listing(
      'Unreadable rows',
      s.rows.invalid,
      samples.invalid.map((i) => `line ${i.line}: ${i.problems.join('; ')}`),
    ),
  ];
}

/**
 * The ledger's own anomalies after the run, as the report and page show them: open ones by code,
 * the first `show` of them, and how many are acknowledged (listed too with --acknowledged).
 */
export function anomalyLines(report: ReconciliationReport, show: number): string[] {
  const codes = Object.keys(report.anomalyCounts) as ReportAnomalyCode[];
  const open = codes.reduce((sum, code) => sum + report.anomalyCounts[code], 0);
  const acknowledged = codes.reduce((sum, code) => sum + report.acknowledgedCounts[code], 0);
  const byCode = codes.filter((code) => report.anomalyCounts[code] > 0).map((code) => `${code} ${n(report.anomalyCounts[code])}`);
  const ackNote =
    acknowledged === 0 ? '' : report.includeAcknowledged ? `, ${n(acknowledged)} acknowledged` : `; ${n(acknowledged)} acknowledged not shown (--acknowledged)`;
  const listed = report.anomalies.slice(0, show).map((a) => {
    const times = a.count > 1 ? ` ×${n(a.count)}` : '';
    const ack = a.acknowledgement === null ? '' : `  [acknowledged by ${a.acknowledgement.by}: ${a.acknowledgement.reason}]`;
    return `${a.code}${times}  ${a.id}${ack}\n    ${a.explanation}`;
  });
  const listable = open + (report.includeAcknowledged ? acknowledged : 0);
  const more = listed.length < listable ? ` (first ${listed.length})` : '';
  return [
    '',
    `Anomalies in the ${report.environment} ledger: ${n(open)} open${byCode.length > 0 ? ` (${byCode.join(', ')})` : ''}${ackNote}${listed.length > 0 ? `${more}:` : ''}`,
    ...listed.map((l) => `  ${l}`),
  ];
}

/** The summary the CLI prints: counts first, then the first few of each kind, then the verdict. */
export function formatSummary(s: ReconcileSummary, samples: Samples, stats: RunStats, report: ReconciliationReport | null = null): string {
  const verdict =
    s.discrepancies === 0
      ? 'Result: no discrepancies (exit 0).'
      : `Result: ${n(s.discrepancies)} discrepanc${s.discrepancies === 1 ? 'y' : 'ies'} need attention (exit 1).`;
  const out = [...table(s, stats), ...listings(s, samples), ...(report === null ? [] : anomalyLines(report, stats.show ?? 10)), '', verdict];
  if (stats.jsonPath !== null) out.push(`Full report: ${stats.jsonPath}`);
  out.push(`Time ${(stats.elapsedMs / 1000).toFixed(1)} s · peak memory ${stats.peakRssMb.toFixed(0)} MB`, '');
  return out.join('\n');
}
