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
export { anomaliesFor, entitlementsFor, entriesForEvent, type LedgerEntryView } from './queries';
export { addEntry, type NewLedgerEntry } from './repository/entries';
export {
  consumeInTransaction,
  consumptionDecision,
  recordConsumption,
  type ConsumptionDeps,
  type ConsumptionInput,
  type ConsumptionResult,
} from './consumption';
export { transitionsFrom, type EntitlementCause, type EntitlementChange, type EntitlementTransition, type OnEntitlementChanges } from './changes';
export { entitlementTransitions } from './transitions';
export type { Anomaly, AnomalyCode, AnomalyFilter, ApplyResult, EntitlementRow, LedgerEntry, LedgerEntryKind, LedgerEventStatus } from './types';
export { HeldEvents, type HeldEventsDeps } from './held-events';
export { heldEventsRouter } from './held-routes';
