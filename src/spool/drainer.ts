import type { Logger } from 'pino';
import { toError } from '../shared/errors';
import type { Segment, Spool } from './spool';
import type { RestoreResult, SpoolEntry } from './format';

export interface SpoolDrainerOptions {
  spool: Pick<Spool, 'take' | 'finish'>;
  /** Ingests one entry through the normal dedupe; rejects while the database is unavailable. */
  restore(entry: SpoolEntry): Promise<RestoreResult>;
  /** After an entry is in the database (wake the worker for a stored event, show it in the live list). */
  onRestored?(result: RestoreResult, entry: SpoolEntry): void;
  logger: Logger;
  /** Wait before trying again after a failure or a new append (default 1000). */
  retryMs?: number;
  /** Entries handed to the database at once; the group committer makes one commit of them. */
  chunk?: number;
}

export interface DrainReport {
  segments: number;
  restored: number;
  /** Entries whose raw request was already stored (ingested before, or the live write landed). */
  already: number;
  /** Lines that were not entries (a torn write that was never acknowledged). */
  bad: number;
  /** The error that stopped this drain; it is retried after retryMs. */
  error: Error | null;
}

/**
 * Moves spooled requests into the database: at start-up (a spool left by the previous process),
 * and retryMs after every append or failed attempt, until the spool is empty. Entries are ingested
 * in file order, a chunk at a time, so a duplicate sent during the outage is still a duplicate.
 * A segment is removed only after every entry in it is in the database, so a crash or a failure
 * halfway through just means its first entries are found already stored next time.
 */
export class SpoolDrainer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<DrainReport> | null = null;
  private stopped = false;

  constructor(private readonly options: SpoolDrainerOptions) {}

  /** Try again after retryMs (a new append, or a failure). Returns at once. */
  kick(): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, this.options.retryMs ?? 1000);
    this.timer.unref();
  }

  /** One pass over the closed segments; concurrent calls share the pass that is running. */
  drain(): Promise<DrainReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private async pass(): Promise<DrainReport> {
    const report: DrainReport = { segments: 0, restored: 0, already: 0, bad: 0, error: null };
    try {
      for (const segment of this.options.spool.take()) {
        if (this.stopped) break;
        await this.restoreSegment(segment, report);
        this.options.spool.finish(segment);
        report.segments += 1;
        report.bad += segment.bad;
      }
    } catch (thrown) {
      report.error = toError(thrown);
      this.kick();
    }
    this.log(report);
    return report;
  }

  private async restoreSegment(segment: Segment, report: DrainReport): Promise<void> {
    const chunk = this.options.chunk ?? 256;
    for (let i = 0; i < segment.entries.length; i += chunk) {
      const entries = segment.entries.slice(i, i + chunk);
      const results = await Promise.all(entries.map((entry) => this.options.restore(entry)));
      results.forEach((result, j) => {
        if (result.kind === 'already') report.already += 1;
        else report.restored += 1;
        this.options.onRestored?.(result, entries[j]);
      });
    }
  }

  private log(report: DrainReport): void {
    const { logger } = this.options;
    const { error, ...counts } = report;
    if (error !== null) logger.warn({ ...counts, error: error.message }, 'spool: the database is not taking writes yet; retrying');
    else if (counts.segments > 0) logger.info(counts, 'spool: ingested spooled requests');
    if (counts.bad > 0) logger.error({ bad: counts.bad }, 'spool: some lines were not complete entries; their segment was kept as *.bad');
  }
}
