export { applyEvent } from './apply';
export {
  refundAmount,
  refundApplicable,
  negativeBalance,
  summarize,
  transactionConflicts,
  type Entitlement,
  type RefundSplit,
  type Totals,
} from './entitlements';
export { APPLY_EVENT_JOB, createApplyHandler, type ApplyHandlerOptions, type ApplyJobPayload } from './handler';
export { anomaliesFor, entitlementsFor, entriesForEvent } from './queries';
export { addEntry, type NewLedgerEntry } from './repository/entries';
export { consumeInTransaction, consumptionDecision, recordConsumption, type ConsumptionInput, type ConsumptionResult } from './consumption';
export type {
  Anomaly,
  AnomalyCode,
  AnomalyFilter,
  ApplyResult,
  EntitlementRow,
  LedgerEntry,
  LedgerEntryKind,
  LedgerEventStatus,
} from './types';
export { HeldEvents, type HeldEventsDeps } from './held-events';
export { heldEventsRouter } from './held-routes';
