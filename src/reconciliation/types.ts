import type { Environment } from '../nachocode';

/** Every code the report lists: the ledger's and receiver's recorded ones, and those found at report time. */
export const REPORT_ANOMALY_CODES = [
  'orphan_refund',
  'over_refund',
  'conflicting_duplicate',
  'negative_balance',
  'duplicate_transaction_id',
  'rejected_request',
  'stuck_event',
  'environment_mismatch',
  'refund_mismatch',
  'unknown_value',
] as const;
export type ReportAnomalyCode = (typeof REPORT_ANOMALY_CODES)[number];

export const isReportCode = (code: string): code is ReportAnomalyCode => (REPORT_ANOMALY_CODES as readonly string[]).includes(code);

/** Inclusive bounds in epoch milliseconds; null is open. */
export interface TimeRange {
  from: number | null;
  to: number | null;
}

export interface ReconciliationSettings {
  /** A held refund older than this, still without its purchase, is an orphan_refund. */
  orphanRefundGraceMs: number;
  /** An accepted event not applied after this long is a stuck_event. */
  stuckEventAfterMs: number;
}

export interface ProductTotals {
  productId: string;
  productType: string | null;
  purchases: number;
  refunds: number;
  unitsGranted: number;
  unitsRefunded: number;
  unitsConsumed: number;
  grossPrice: number;
  refundedPrice: number;
  netPrice: number;
}

export interface Evidence {
  eventIds: string[];
  rawRequestIds: string[];
  /** The facts behind the finding, as recorded (quantities, keys, transaction ids…). */
  details: Record<string, unknown>;
}

/** An admin's word that an anomaly was looked at. */
export interface Acknowledgement {
  /** The admin token's subject (`admin` for a token without one). */
  by: string;
  reason: string;
  at: string;
}

export interface ReportAnomaly {
  /**
   * Stable across report runs (what POST /api/reconciliation/anomalies/:id/acknowledge takes):
   * a recorded anomaly's key, `orphan_refund:<eventId>`, `stuck_event:<eventId>`, or
   * `rejected_request:<group>` for a group of near-identical rejections.
   */
  id: string;
  code: ReportAnomalyCode;
  explanation: string;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  /** When it was detected (recorded anomalies) or when its request arrived (found at report time). */
  at: string;
  /** How many near-identical findings this one stands for (rejections of the same event or body), and over which span. */
  count: number;
  firstSeen: string;
  lastSeen: string;
  evidence: Evidence;
  /** Set when an admin acknowledged it; such anomalies are listed only with include=acknowledged. */
  acknowledgement: Acknowledgement | null;
}

export interface DailyPoint {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  productId: string;
  purchases: number;
  refunds: number;
}

export interface ReconciliationReport {
  environment: Environment;
  range: { from: string | null; to: string | null };
  generatedAt: string;
  settings: ReconciliationSettings;
  totals: ProductTotals[];
  overall: Omit<ProductTotals, 'productId' | 'productType'>;
  /** Open anomalies per code, exact (a group of near-identical rejections counts once). */
  anomalyCounts: Record<ReportAnomalyCode, number>;
  /** Acknowledged anomalies per code, exact, whether listed or not. */
  acknowledgedCounts: Record<ReportAnomalyCode, number>;
  /** Whether `anomalies` lists acknowledged ones too (include=acknowledged). */
  includeAcknowledged: boolean;
  /** Newest first, at most `perCodeLimit` of each code; the counts have the exact numbers. */
  anomalies: ReportAnomaly[];
  perCodeLimit: number;
  daily: DailyPoint[];
}
