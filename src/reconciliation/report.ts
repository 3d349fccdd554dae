import type { Environment } from '../nachocode';
import type { Queryable } from '../storage/port';
import { explainFinding, type Finding } from './explain';
import { isoOrNull, sqlBounds } from './range';
import {
  eventAnomalyId,
  orphanRefunds,
  recordedAnomalies,
  recordedCounts,
  rejectedAnomalyId,
  rejectedGroups,
  stuckEvents,
  type AckColumns,
  unknownValueEvents,
  type EventFindingCode,
  type EventFindingRow,
  type FindingBounds,
  type FindingCount,
  type RejectedGroup,
} from './repository/findings';
import { consumeSums, dailyPoints, purchaseSums, refundSums } from './repository/totals';
import { mergeTotals, overallOf } from './totals';
import { isReportCode, REPORT_ANOMALY_CODES, type ReconciliationReport, type ReconciliationSettings, type ReportAnomalyCode, type TimeRange } from './types';

export interface ReportRequest {
  environment: Environment;
  range: TimeRange;
  settings: ReconciliationSettings;
  now: number;
  /** Most anomalies listed per code (counts stay exact). */
  perCodeLimit?: number;
  /** List acknowledged anomalies too, each with its acknowledgement. */
  includeAcknowledged?: boolean;
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A joined acknowledgement, when there is one (and, for a group, nothing joined it since). */
function acknowledgementOf(row: AckColumns, stillCovers = true): Finding['acknowledgement'] {
  if (row.ackAt === null || row.ackBy === null || !stillCovers) return null;
  return { by: row.ackBy, reason: row.ackReason ?? '', at: Number(row.ackAt) };
}

function fromEvent(code: EventFindingCode, row: EventFindingRow): Finding {
  return {
    id: eventAnomalyId(code, row.id),
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
    acknowledgement: acknowledgementOf(row),
  };
}

/** One entry for a group of near-identical rejections, described by its newest request. */
function fromRejectedGroup(group: RejectedGroup): Finding {
  const newest = group.examples[0];
  const ack = acknowledgementOf(group, group.ackAt !== null && Number(group.ackAt) >= group.lastSeen);
  const before = ack === null ? acknowledgementOf(group) : null;
  return {
    id: rejectedAnomalyId(group.grp),
    code: 'rejected_request',
    environment: newest?.environment ?? null,
    userId: newest?.userId ?? null,
    productId: newest?.productId ?? null,
    eventId: null,
    rawRequestId: null,
    details: {
      method: newest?.method,
      path: newest?.path,
      status: newest?.status,
      reason: newest?.reason,
      iapLogId: newest?.iapLogId ?? undefined,
      dedupeKey: newest?.dedupeKey ?? undefined,
      count: group.n,
      firstSeen: new Date(group.firstSeen).toISOString(),
      lastSeen: new Date(group.lastSeen).toISOString(),
      exampleRequestIds: group.examples.map((r) => r.id),
      // Acknowledged once, then the same rejection came again: open, with what was said then.
      acknowledgedBefore: before ? { ...before, at: new Date(before.at).toISOString() } : undefined,
    },
    at: group.lastSeen,
    count: group.n,
    firstSeen: group.firstSeen,
    acknowledgement: ack,
  };
}

const zeroCounts = () => Object.fromEntries(REPORT_ANOMALY_CODES.map((c) => [c, 0])) as Record<ReportAnomalyCode, number>;

/** The field and value (the first, and every one) an event is held for, when it is held for values. */
function heldValues(heldFor: string | null): Record<string, unknown> {
  const held = parseDetails(heldFor ?? '{}');
  const values = Array.isArray(held.values) ? (held.values as Array<{ field?: unknown; value?: unknown }>) : [];
  if (held.reason !== 'unknown_value' || values.length === 0) return {};
  return { field: values[0].field, value: values[0].value, unknownValues: values };
}

/** Findings stored when events were applied or received, and those only the report can see. */
async function findings(db: Queryable, bounds: FindingBounds, req: ReportRequest) {
  const open = zeroCounts();
  const acknowledged = zeroCounts();
  const count = (code: ReportAnomalyCode, c: FindingCount) => {
    open[code] = c.n - c.acked;
    acknowledged[code] = c.acked;
  };
  const found: Finding[] = [];
  for (const c of await recordedCounts(db, bounds)) if (isReportCode(c.code)) count(c.code, c);
  for (const row of await recordedAnomalies(db, bounds)) {
    if (!isReportCode(row.code)) continue;
    found.push({
      id: row.anomalyId,
      code: row.code,
      environment: row.environment,
      userId: row.userId,
      productId: row.productId,
      eventId: row.eventId,
      rawRequestId: row.rawRequestId,
      details: parseDetails(row.details),
      at: row.createdAt,
      acknowledgement: acknowledgementOf(row),
    });
  }
  const orphans = await orphanRefunds(db, bounds, req.now - req.settings.orphanRefundGraceMs);
  count('orphan_refund', orphans.count);
  found.push(...orphans.rows.map((row) => fromEvent('orphan_refund', row)));
  const unknown = await unknownValueEvents(db, bounds);
  count('unknown_value', unknown.count);
  found.push(...unknown.rows.map((row) => fromEvent('unknown_value', row)));
  const stuck = await stuckEvents(db, bounds, req.now - req.settings.stuckEventAfterMs);
  count('stuck_event', stuck.count);
  found.push(...stuck.rows.map((row) => fromEvent('stuck_event', row)));
  const rejected = await rejectedGroups(db, bounds);
  count('rejected_request', rejected.count);
  found.push(...rejected.groups.map(fromRejectedGroup));
  return { open, acknowledged, found };
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
  const includeAcknowledged = req.includeAcknowledged ?? false;
  const { open, acknowledged, found } = await findings(db, { ...bounds, limit: perCodeLimit, includeAcknowledged }, req);
  const anomalies = found.sort((a, b) => b.at - a.at).map((f) => explainFinding(f, req.now));
  return {
    environment: req.environment,
    range: { from: isoOrNull(req.range.from), to: isoOrNull(req.range.to) },
    generatedAt: new Date(req.now).toISOString(),
    settings: req.settings,
    totals,
    overall: overallOf(totals),
    anomalyCounts: open,
    acknowledgedCounts: acknowledged,
    includeAcknowledged,
    anomalies,
    perCodeLimit,
    daily: await dailyPoints(db, bounds),
  };
}
