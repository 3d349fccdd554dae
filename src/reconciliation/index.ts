// Reconciliation: the anomaly report and its page, and comparing external purchase
// lists with the ledger (the reconcile CLI).
export { DiscrepancyLog, CATEGORIES, type Category } from './discrepancy-log';
export { detectFormat, type FileFormat } from './file-reader';
export { ingestRows, type ImportOutcome, type ImportRow } from './ingest';
export { localLedgerSource, type LedgerSource } from './ledger-source';
export { reconciliationPageRouter } from './page';
export { parseBound } from './range';
export { reconcileFile, type ReconcileOptions, type ReconcileSummary } from './reconcile-file';
export { RemoteError, remoteLedgerSource } from './remote-source';
export { buildReport } from './report';
export { formatSummary, type RunStats, type Samples } from './summary-text';
export { reconciliationApiRouter, type ReconciliationDeps } from './routes';
export type { ReconciliationReport, ReconciliationSettings, ReportAnomaly, ReportAnomalyCode } from './types';
