import { and, desc, eq } from 'drizzle-orm';
import { anomalies } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';
import type { Anomaly, AnomalyCode, AnomalyFilter, AnomalySubject } from '../types';

export interface NewAnomaly extends AnomalySubject {
  anomalyKey: string;
  code: AnomalyCode;
  createdAt: number;
}

/** Re-detecting the same problem (same anomaly_key) adds nothing. */
export function recordAnomaly(db: Db, anomaly: NewAnomaly): boolean {
  const result = db
    .insert(anomalies)
    .values({ ...anomaly, details: JSON.stringify(anomaly.details) })
    .onConflictDoNothing({ target: anomalies.anomalyKey })
    .run();
  return result.changes > 0;
}

export function findAnomalies(db: Db, filter: AnomalyFilter = {}): Anomaly[] {
  const rows = db
    .select()
    .from(anomalies)
    .where(
      and(
        filter.code === undefined ? undefined : eq(anomalies.code, filter.code),
        filter.environment === undefined ? undefined : eq(anomalies.environment, filter.environment),
        filter.userId === undefined ? undefined : eq(anomalies.userId, filter.userId),
        filter.productId === undefined ? undefined : eq(anomalies.productId, filter.productId),
        filter.eventId === undefined ? undefined : eq(anomalies.eventId, filter.eventId),
      ),
    )
    .orderBy(desc(anomalies.createdAt), desc(anomalies.id))
    .limit(filter.limit ?? 100)
    .all();
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}
