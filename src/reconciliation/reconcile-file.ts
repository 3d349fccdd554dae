import path from 'node:path';
import type { DiskStringSet } from '../storage/sqlite/scratch-set';
import type { Environment } from '../nachocode';
import type { RowType } from './compare';
import type { DiscrepancyLog } from './discrepancy-log';
import { readRows, type FileFormat } from './file-reader';
import type { LedgerSource } from './ledger-source';
import { isoOrNull } from './range';
import { checkRow, extraItem, missingItem, mismatchItem, verdict, type CheckedRow } from './row-check';
import type { TimeRange } from './types';

export interface ReconcileOptions {
  file: string;
  format: FileFormat;
  environment: Environment;
  source: LedgerSource;
  log: DiscrepancyLog;
  /** Feed the rows missing from the ledger through the receiver, marked as imported. */
  ingest: boolean;
  /** Replaces the file's own time range for "in the ledger, not in the file" (either end). */
  range?: Partial<TimeRange>;
  batchSize?: number;
  onBytes?(bytes: number): void;
}

type PerType = Record<RowType, number>;
const perType = (): PerType => ({ purchase: 0, refund: 0 });

export interface ReconcileSummary {
  file: string;
  format: FileFormat;
  environment: Environment;
  ledger: string;
  rows: { read: number; compared: number; matched: number; duplicateInFile: number; otherEnvironment: number; ignored: number; invalid: number };
  /** Per type, the span "in the ledger, not in the file" was checked over; null when the file has no such rows. */
  ranges: Record<RowType, { from: string; to: string } | null>;
  missing: PerType;
  extra: PerType;
  mismatched: PerType;
  ingest: { requested: number; stored: number; duplicate: number; conflict: number; rejected: number } | null;
  /** What still needs a human after this run: missing rows not ingested, extras, mismatches, unreadable rows. */
  discrepancies: number;
}

const INGEST_CHUNK = 200;

/**
 * Streams the file, compares it with the ledger in batches and, at the end, walks the ledger over
 * the file's time range for events the file does not list. Memory holds one batch, the samples,
 * and counters; the file's identities live on disk in a scratch set (DiskStringSet), so memory stays
 * flat however long the file is.
 */
export async function reconcileFile(opts: ReconcileOptions): Promise<ReconcileSummary> {
  const summary = emptySummary(opts);
  const span: Record<RowType, { min: number; max: number } | null> = { purchase: null, refund: null };
  // Loaded here, not at import: a server on PostgreSQL never runs a file reconciliation and must not load SQLite.
  const { DiskStringSet: Scratch } = await import('../storage/sqlite/scratch-set');
  const seen = Scratch.open('iaphook-reconcile-');
  const ref = path.basename(opts.file);
  try {
    let batch: CheckedRow[] = [];
    for await (const fileRow of readRows(opts.file, opts.format, { onBytes: opts.onBytes })) {
      summary.rows.read += 1;
      const checked = checkRow(fileRow, opts.environment);
      if (checked.kind === 'invalid') {
        summary.rows.invalid += 1;
        opts.log.add('invalid', { line: checked.line, problems: checked.problems });
      } else if (checked.kind === 'ignored') summary.rows.ignored += 1;
      else if (checked.kind === 'other_environment') summary.rows.otherEnvironment += 1;
      else batch.push(checked);
      if (batch.length >= (opts.batchSize ?? 1000)) {
        await compareBatch(opts, summary, seen, span, batch, ref);
        batch = [];
      }
    }
    await compareBatch(opts, summary, seen, span, batch, ref);
    for (const type of ['purchase', 'refund'] as const) await findExtras(opts, summary, seen, span, type);
  } finally {
    seen.close();
  }
  const ingested = summary.ingest === null ? 0 : summary.ingest.stored + summary.ingest.duplicate;
  const total = (c: PerType) => c.purchase + c.refund;
  summary.discrepancies = total(summary.missing) - ingested + total(summary.extra) + total(summary.mismatched) + summary.rows.invalid;
  return summary;
}

async function compareBatch(
  opts: ReconcileOptions,
  summary: ReconcileSummary,
  seen: DiskStringSet,
  span: Record<RowType, { min: number; max: number } | null>,
  batch: CheckedRow[],
  ref: string,
): Promise<void> {
  if (batch.length === 0) return;
  const fresh = seen.addMany(batch.map((r) => r.key));
  const rows = batch.filter((_r, i) => fresh[i]);
  summary.rows.duplicateInFile += batch.length - rows.length;
  for (const row of rows) {
    const s = span[row.type];
    span[row.type] = s === null ? { min: row.time, max: row.time } : { min: Math.min(s.min, row.time), max: Math.max(s.max, row.time) };
  }
  const facts = new Map((await opts.source.lookup(rows.map((r) => r.identity))).map((f) => [f.dedupeKey, f]));
  const missing: CheckedRow[] = [];
  for (const row of rows) {
    summary.rows.compared += 1;
    const fact = facts.get(row.key);
    const v = verdict(row, fact);
    if (v.kind === 'missing') missing.push(row);
    else if (v.kind === 'matched') summary.rows.matched += 1;
    else {
      summary.mismatched[row.type] += 1;
      opts.log.add('mismatched', mismatchItem(row, fact!, v.fields));
    }
  }
  const outcomes = opts.ingest ? await ingestMissing(opts, summary, missing, ref) : [];
  missing.forEach((row, i) => {
    summary.missing[row.type] += 1;
    opts.log.add('missing', missingItem(row, outcomes[i]));
  });
}

async function ingestMissing(opts: ReconcileOptions, summary: ReconcileSummary, missing: CheckedRow[], ref: string) {
  const tally = summary.ingest!;
  const outcomes = [];
  for (let i = 0; i < missing.length; i += INGEST_CHUNK) {
    const chunk = missing.slice(i, i + INGEST_CHUNK);
    outcomes.push(...(await opts.source.ingest(chunk.map((row) => ({ ref: `${ref}:${row.line}`, body: row.body })))));
  }
  for (const o of outcomes) {
    tally.requested += 1;
    if (o.outcome === 'stored') tally.stored += 1;
    else if (o.outcome === 'duplicate') tally.duplicate += 1;
    else if (o.outcome === 'conflict') tally.conflict += 1;
    else tally.rejected += 1;
  }
  return outcomes;
}

/**
 * "In the ledger, not in the file", limited to what the file can speak for: the same environment,
 * only the types the file lists, and only events whose own time (purchasedAt / refundedAt) falls
 * between the file's earliest and latest row of that type (or --from / --to). A partial export
 * therefore never reports the rest of the ledger as extra.
 */
async function findExtras(
  opts: ReconcileOptions,
  summary: ReconcileSummary,
  seen: DiskStringSet,
  span: Record<RowType, { min: number; max: number } | null>,
  type: RowType,
): Promise<void> {
  const s = span[type];
  if (s === null) return;
  const from = opts.range?.from ?? s.min;
  const to = opts.range?.to ?? s.max;
  summary.ranges[type] = { from: isoOrNull(from)!, to: isoOrNull(to)! };
  let after: string | null = null;
  do {
    const page = await opts.source.listRange({ environment: opts.environment, type, from, to, after, limit: 1000 });
    const inFile = seen.seenAmong(page.keys.map((k) => k.dedupeKey));
    const extra = page.keys.filter((k) => !inFile.has(k.dedupeKey)).map((k) => k.eventId);
    if (extra.length > 0) {
      const facts = new Map((await opts.source.facts(extra)).map((f) => [f.eventId, f]));
      for (const eventId of extra) {
        const fact = facts.get(eventId);
        if (fact === undefined) continue; // deleted between the two reads: nothing to report
        summary.extra[type] += 1;
        opts.log.add('extra', extraItem(fact));
      }
    }
    after = page.nextCursor;
  } while (after !== null);
}

function emptySummary(opts: ReconcileOptions): ReconcileSummary {
  return {
    file: opts.file,
    format: opts.format,
    environment: opts.environment,
    ledger: opts.source.description,
    rows: { read: 0, compared: 0, matched: 0, duplicateInFile: 0, otherEnvironment: 0, ignored: 0, invalid: 0 },
    ranges: { purchase: null, refund: null },
    missing: perType(),
    extra: perType(),
    mismatched: perType(),
    ingest: opts.ingest ? { requested: 0, stored: 0, duplicate: 0, conflict: 0, rejected: 0 } : null,
    discrepancies: 0,
  };
}
