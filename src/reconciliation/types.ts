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

export interface ReportAnomaly {
  code: ReportAnomalyCode;
  explanation: string;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  /** When it was detected (recorded anomalies) or when its request arrived (found at report time). */
  at: string;
  evidence: Evidence;
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
  anomalyCounts: Record<ReportAnomalyCode, number>;
  /** Newest first, at most `perCodeLimit` of each code; anomalyCounts has the exact numbers. */
  anomalies: ReportAnomaly[];
  perCodeLimit: number;
  daily: DailyPoint[];
}
