import type { Environment } from '../nachocode';
import type { Receive } from '../receiver/routes';
import type { Queryable } from '../storage/port';
import type { LedgerFact, RowIdentity } from './compare';
import { factsByEventIds, listKeys, lookupFacts, type KeyPage } from './facts';
import { ingestRows, type ImportOutcome, type ImportRow } from './ingest';
import type { RangeQuery } from './repository/lookup';
import { buildReport } from './report';
import type { ReconciliationReport, ReconciliationSettings } from './types';

/** The anomaly report over all time, as GET /api/reconciliation gives it. */
export interface AnomalyQuery {
  environment: Environment;
  perCodeLimit: number;
  includeAcknowledged: boolean;
}

/**
 * What the file comparison needs from a ledger, whether it is the local database file or a running
 * instance reached over the admin API: look up identities, walk a time range, ingest missing rows.
 */
export interface LedgerSource {
  readonly description: string;
  lookup(identities: RowIdentity[]): Promise<LedgerFact[]>;
  /** The identities of the events in a range, a page at a time. */
  listRange(query: RangeQuery): Promise<KeyPage>;
  /** Full facts for events found by listRange. */
  facts(eventIds: string[]): Promise<LedgerFact[]>;
  ingest(rows: ImportRow[]): Promise<ImportOutcome[]>;
  /** The open (and with includeAcknowledged, acknowledged) anomalies, when the source can tell. */
  report?(query: AnomalyQuery): Promise<ReconciliationReport>;
  close?(): Promise<void>;
}

/** Reads outside any transaction (pass storage.read: committed data only); ingest goes through the receiver. */
export function localLedgerSource(
  db: Queryable,
  importReceive: Receive,
  description: string,
  reports?: { settings: ReconciliationSettings; now(): number },
): LedgerSource {
  return {
    description,
    lookup: (identities) => lookupFacts(db, identities),
    listRange: (query) => listKeys(db, query),
    facts: (eventIds) => factsByEventIds(db, eventIds),
    ingest: (rows) => ingestRows(importReceive, rows),
    report:
      reports === undefined ? undefined : (q) => buildReport(db, { ...q, range: { from: null, to: null }, settings: reports.settings, now: reports.now() }),
  };
}
