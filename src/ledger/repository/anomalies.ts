import type { Queryable, Tx } from '../../storage/port';
import { sql } from '../../storage/sql';
import type { Anomaly, AnomalyCode, AnomalyFilter, AnomalySubject } from '../types';

export interface NewAnomaly extends AnomalySubject {
  anomalyKey: string;
  code: AnomalyCode;
  createdAt: number;
}

/** An anomalies row as stored: details is JSON text. */
type AnomalyRow = Omit<Anomaly, 'details'> & { details: string };

const ANOMALY_COLUMNS = sql.raw(`id, anomaly_key AS "anomalyKey", code, environment, user_id AS "userId", product_id AS "productId",
  event_id AS "eventId", raw_request_id AS "rawRequestId", details, created_at AS "createdAt"`);

/** Re-detecting the same problem (same anomaly_key) adds nothing. */
export async function recordAnomaly(tx: Tx, anomaly: NewAnomaly): Promise<boolean> {
  const changed = await tx.run(sql`INSERT INTO anomalies
      (anomaly_key, code, environment, user_id, product_id, event_id, raw_request_id, details, created_at)
    VALUES (${anomaly.anomalyKey}, ${anomaly.code}, ${anomaly.environment}, ${anomaly.userId}, ${anomaly.productId},
      ${anomaly.eventId}, ${anomaly.rawRequestId}, ${JSON.stringify(anomaly.details)}, ${anomaly.createdAt})
    ON CONFLICT (anomaly_key) DO NOTHING`);
  return changed > 0;
}

export async function findAnomalies(db: Queryable, filter: AnomalyFilter = {}): Promise<Anomaly[]> {
  const where = sql.and([
    filter.code === undefined ? undefined : sql`code = ${filter.code}`,
    filter.environment === undefined ? undefined : sql`environment = ${filter.environment}`,
    filter.userId === undefined ? undefined : sql`user_id = ${filter.userId}`,
    filter.productId === undefined ? undefined : sql`product_id = ${filter.productId}`,
    filter.eventId === undefined ? undefined : sql`event_id = ${filter.eventId}`,
  ]);
  const rows = await db.all<AnomalyRow>(sql`SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE ${where}
    ORDER BY created_at DESC, id DESC LIMIT ${filter.limit ?? 100}`);
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}
