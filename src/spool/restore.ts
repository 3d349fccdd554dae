import type { IngestStore } from '../receiver/types';
import type { RestoreResult, SpoolEntry } from './format';

/**
 * A request taken back from the spool, through the same dedupe as a live one. Its raw request id
 * makes it idempotent: one already stored (the spool was ingested before a crash, or the live
 * write landed after all) is skipped. The raw row keeps the answer that was actually sent.
 */
export async function restoreEntry(store: Pick<IngestStore, 'ingest' | 'recordRejected'>, entry: SpoolEntry): Promise<RestoreResult> {
  const elapsed = () => entry.durationMs;
  if (entry.kind === 'event') return store.ingest(entry.raw, entry.event, elapsed, { once: true, sent: entry.answer });
  const recorded = await store.recordRejected(entry.raw, entry.answer, elapsed, { once: true });
  return { kind: recorded };
}
