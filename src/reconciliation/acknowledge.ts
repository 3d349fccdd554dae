import type { Queryable, Storage } from '../storage/port';
import { saveAcknowledgement } from './repository/acknowledgements';
import { eventFindingExists, recordedExists, rejectedGroupExists } from './repository/findings';
import { isReportCode, type Acknowledgement, type ReconciliationSettings, type ReportAnomalyCode } from './types';

/**
 * The code of the anomaly an id names, or null when there is none to acknowledge: a report-time
 * finding must hold now (an orphan refund whose purchase came is no longer one), a recorded one
 * must be recorded. Ids are the report's (see ReportAnomaly.id).
 */
export async function anomalyCodeOf(db: Queryable, id: string, settings: ReconciliationSettings, now: number): Promise<ReportAnomalyCode | null> {
  const [prefix, rest] = splitOnce(id);
  if (prefix === 'orphan_refund' && rest !== '')
    return (await eventFindingExists(db, 'orphan_refund', rest, now - settings.orphanRefundGraceMs)) ? prefix : null;
  if (prefix === 'unknown_value' && rest !== '') return (await eventFindingExists(db, 'unknown_value', rest, now)) ? prefix : null;
  if (prefix === 'stuck_event' && rest !== '') return (await eventFindingExists(db, 'stuck_event', rest, now - settings.stuckEventAfterMs)) ? prefix : null;
  if (prefix === 'rejected_request' && rest !== '') return (await rejectedGroupExists(db, rest)) ? prefix : null;
  const code = await recordedExists(db, id);
  return code !== null && isReportCode(code) ? code : null;
}

function splitOnce(id: string): [string, string] {
  const at = id.indexOf(':');
  return at < 0 ? [id, ''] : [id.slice(0, at), id.slice(at + 1)];
}

export interface AcknowledgeInput {
  id: string;
  by: string;
  reason: string;
  now: number;
}

/** Records the acknowledgement (checked and written in one transaction); null when the id names no anomaly. */
export function acknowledgeAnomaly(
  storage: Pick<Storage, 'write'>,
  settings: ReconciliationSettings,
  input: AcknowledgeInput,
): Promise<{ id: string; code: ReportAnomalyCode; acknowledgement: Acknowledgement } | null> {
  return storage.write(async (tx) => {
    const code = await anomalyCodeOf(tx, input.id, settings, input.now);
    if (code === null) return null;
    await saveAcknowledgement(tx, { anomalyId: input.id, code, by: input.by, reason: input.reason, at: input.now });
    return { id: input.id, code, acknowledgement: { by: input.by, reason: input.reason, at: new Date(input.now).toISOString() } };
  });
}
