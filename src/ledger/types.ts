import type { ProductType } from '../nachocode';
import type { EntitlementChange } from './changes';

export type LedgerEventStatus = 'received' | 'held' | 'applied' | 'failed' | 'dead';

export type LedgerEntryKind = 'grant' | 'revoke' | 'consume';

export type AnomalyCode = 'over_refund' | 'negative_balance' | 'duplicate_transaction_id' | 'environment_mismatch' | 'refund_mismatch';

export interface ApplyResult {
  status: 'applied' | 'held' | 'skipped';
  /**
   * Every event this call moved to `applied`: the event itself and, for a purchase, the held
   * refunds it released. Empty when the status is held or skipped.
   */
  applied: Array<{ eventId: string; type: string; receivedAt: number }>;
  /** Every entitlement the apply moved, in the order its entries were written (none when nothing was written). */
  changes: EntitlementChange[];
}

/** What one step of an apply returns; applyEvent adds the changes the steps collected. */
export type StepResult = Omit<ApplyResult, 'changes'>;

export interface EntitlementRow {
  productId: string;
  nachoProductId: string | null;
  productType: ProductType;
  purchased: number;
  refunded: number;
  consumed: number;
  balance: number;
  active: boolean;
}

export interface LedgerEntry {
  id: number;
  entryKey: string;
  eventId: string | null;
  environment: string;
  userId: string;
  productId: string;
  nachoProductId: string | null;
  productType: string;
  iapLogId: number | null;
  kind: string;
  quantity: number;
  amount: number | null;
  createdAt: number;
}

/** Who and what an anomaly is about, and its evidence: shared by recorded and reported anomalies. */
export interface AnomalySubject {
  environment: string | null;
  userId: string | null;
  productId: string | null;
  eventId: string | null;
  rawRequestId: string | null;
  details: Record<string, unknown>;
}

export interface Anomaly extends AnomalySubject {
  id: number;
  anomalyKey: string;
  code: string;
  createdAt: number;
}

export interface AnomalyFilter {
  /** Any code: the receiver records its own (conflicting_duplicate) beside the ledger's AnomalyCode. */
  code?: string;
  environment?: string;
  userId?: string;
  productId?: string;
  eventId?: string;
  /** Most rows returned, newest first; 100 when absent. */
  limit?: number;
}
