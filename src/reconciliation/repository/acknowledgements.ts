import type { Queryable } from '../../storage/port';
import { sql } from '../../storage/sql';

export interface AcknowledgementRecord {
  anomalyId: string;
  code: string;
  by: string;
  reason: string;
  at: number;
}

/** Acknowledging again replaces the earlier word (a group of rejections that came back, say). */
export async function saveAcknowledgement(db: Queryable, ack: AcknowledgementRecord): Promise<void> {
  await db.run(sql`INSERT INTO anomaly_acknowledgements (anomaly_id, code, acknowledged_by, reason, acknowledged_at)
    VALUES (${ack.anomalyId}, ${ack.code}, ${ack.by}, ${ack.reason}, ${ack.at})
    ON CONFLICT (anomaly_id) DO UPDATE SET code = excluded.code, acknowledged_by = excluded.acknowledged_by,
      reason = excluded.reason, acknowledged_at = excluded.acknowledged_at`);
}
