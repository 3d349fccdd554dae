import type { Environment } from '../nachocode';
import type { Queryable } from '../storage/port';
import { explainFinding, type Finding } from './explain';
import { isoOrNull, sqlBounds } from './range';
import {
  orphanRefunds,
  recordedAnomalies,
  recordedCounts,
  rejectedRequests,
  stuckEvents,
  unknownValueEvents,
  type EventFindingRow,
  type FindingBounds,
} from './repository/findings';
import { consumeSums, dailyPoints, purchaseSums, refundSums } from './repository/totals';
import { mergeTotals, overallOf } from './totals';
import {
  REPORT_ANOMALY_CODES,
  type ReconciliationReport,
  type ReconciliationSettings,
  type ReportAnomalyCode,
  type TimeRange,
} from './types';

export interface ReportRequest {
  environment: Environment;
  range: TimeRange;
  settings: ReconciliationSettings;
  now: number;
  /** Most anomalies listed per code (counts stay exact). */
  perCodeLimit?: number;
}

const isReportCode = (code: string): code is ReportAnomalyCode => (REPORT_ANOMALY_CODES as readonly string[]).includes(code);

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fromEvent(code: ReportAnomalyCode, row: EventFindingRow): Finding {
  return {
    code,
    environment: row.environment,
    userId: row.userId,
    productId: row.productId,
    eventId: row.id,
    rawRequestId: row.rawRequestId,
    details: {
      type: row.type,
      status: row.status,
      iapLogId: row.iapLogId,
      error: row.error ?? undefined,
      refundQuantity: row.refundQuantity ?? undefined,
      refundedAt: row.refundedAt ?? undefined,
      ...heldValues(row.heldFor),
    },
    at: row.receivedAt,
  };
}

/** The field and value (the first, and every one) an event is held for, when it is held for values. */
function heldValues(heldFor: string | null): Record<string, unknown> {
  const held = parseDetails(heldFor ?? '{}');
  const values = Array.isArray(held.values) ? (held.values as Array<{ field?: unknown; value?: unknown }>) : [];
  if (held.reason !== 'unknown_value' || values.length === 0) return {};
  return { field: values[0].field, value: values[0].value, unknownValues: values };
}

/** Findings stored when events were applied or received, and those only the report can see. */
async function findings(db: Queryable, bounds: FindingBounds, req: ReportRequest) {
  const counts = Object.fromEntries(REPORT_ANOMALY_CODES.map((c) => [c, 0])) as Record<ReportAnomalyCode, number>;
  const found: Finding[] = [];
  for (const { code, n } of await recordedCounts(db, bounds)) if (isReportCode(code)) counts[code] = n;
  for (const row of await recordedAnomalies(db, bounds)) {
    if (!isReportCode(row.code)) continue;
    found.push({ ...row, code: row.code, details: parseDetails(row.details), at: row.createdAt });
  }
  const orphans = await orphanRefunds(db, bounds, req.now - req.settings.orphanRefundGraceMs);
  counts.orphan_refund = orphans.count;
  found.push(...orphans.rows.map((row) => fromEvent('orphan_refund', row)));
  const unknown = await unknownValueEvents(db, bounds);
  counts.unknown_value = unknown.count;
  found.push(...unknown.rows.map((row) => fromEvent('unknown_value', row)));
  const stuck = await stuckEvents(db, bounds, req.now - req.settings.stuckEventAfterMs);
  counts.stuck_event = stuck.count;
  found.push(...stuck.rows.map((row) => fromEvent('stuck_event', row)));
  const rejected = await rejectedRequests(db, bounds);
  counts.rejected_request = rejected.count;
  for (const r of rejected.rows) {
    found.push({
      code: 'rejected_request',
      environment: r.environment,
      userId: typeof r.userId === 'string' ? r.userId : null,
      productId: typeof r.productId === 'string' ? r.productId : null,
      eventId: null,
      rawRequestId: r.id,
      details: { method: r.method, path: r.path, status: r.status, reason: r.reason, iapLogId: r.iapLogId ?? undefined },
      at: r.receivedAt,
    });
  }
  return { counts, found };
}

/**
 * The reconciliation report for one environment: totals per product over the range (by purchase,
 * refund and consumption time) and every anomaly detected in it (by detection or arrival time).
 */
export async function buildReport(db: Queryable, req: ReportRequest): Promise<ReconciliationReport> {
  const perCodeLimit = req.perCodeLimit ?? 100;
  const { from, to } = sqlBounds(req.range);
  const bounds = { environment: req.environment, from, to };
  const totals = mergeTotals(await purchaseSums(db, bounds), await refundSums(db, bounds), await consumeSums(db, bounds));
  const { counts, found } = await findings(db, { ...bounds, limit: perCodeLimit }, req);
  const anomalies = found.sort((a, b) => b.at - a.at).map((f) => explainFinding(f, req.now));
  return {
    environment: req.environment,
    range: { from: isoOrNull(req.range.from), to: isoOrNull(req.range.to) },
    generatedAt: new Date(req.now).toISOString(),
    settings: req.settings,
    totals,
    overall: overallOf(totals),
    anomalyCounts: counts,
    anomalies,
    perCodeLimit,
    daily: await dailyPoints(db, bounds),
  };
}
