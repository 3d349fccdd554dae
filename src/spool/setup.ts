import type { Logger } from 'pino';
import type { Clock } from '../shared/clock';
import { Spool } from './spool';
import { SpoolDrainer } from './drainer';
import { restoreEntry } from './restore';
import type { SpoolFallback } from './fallback';
import type { IngestStore } from '../receiver/types';

export interface SpoolSetup {
  dir: string;
  budgetMs: number;
  /** The budget for a rejected request's record (see SpoolFallback). */
  rejectedBudgetMs?: number;
  /** Where spooled requests go once the database takes writes again. */
  store: Pick<IngestStore, 'ingest' | 'recordRejected'>;
  clock: Clock;
  logger: Logger;
  /** A spooled event was stored at last: wake the worker that applies it. */
  onStored(): void;
  /**
   * A spooled request is in the database now (ingested, or its own late write landed): the live
   * list shows it. The receiver reports only what it wrote itself. Must return at once.
   */
  onRecorded?(rawRequestId: string): void;
}

export interface SpoolParts {
  spool: Spool;
  drainer: SpoolDrainer;
  /** For createReceiver: where requests go when the database cannot take them in time. */
  fallback: SpoolFallback;
  /** Stops the drainer (waiting for a pass in progress) and closes the current segment. */
  close(): Promise<void>;
}

// During an outage every request is spooled: one warning per interval, with the count, not one each.
const WARN_EVERY_MS = 5000;

/** The spool, its drainer and the receiver's fallback, wired together (runtime.ts uses this). */
export function createSpool(setup: SpoolSetup): SpoolParts {
  const logger = setup.logger.child({ component: 'spool' });
  const spool = new Spool(setup.dir);
  const drainer = new SpoolDrainer({
    spool,
    restore: (entry) => restoreEntry(setup.store, entry),
    onRestored: (result, entry) => {
      if (result.kind === 'stored') setup.onStored();
      setup.onRecorded?.(entry.raw.id);
    },
    logger,
  });
  let unreported = 0;
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  const fallback: SpoolFallback = {
    spool,
    budgetMs: setup.budgetMs,
    rejectedBudgetMs: setup.rejectedBudgetMs,
    onSpooled: (entry) => {
      drainer.kick();
      // A rejection's record goes to the spool after tens of ms, which a merely slow commit can
      // take; its write goes on and usually lands first. Only acknowledged events make the warning.
      if (entry.kind !== 'event') return;
      unreported += 1;
      const now = setup.clock.now();
      if (now - lastWarnAt < WARN_EVERY_MS) return;
      logger.warn({ spooled: unreported, reason: entry.reason, dir: setup.dir }, 'the database did not take webhooks in time; they were synced to the spool');
      unreported = 0;
      lastWarnAt = now;
    },
  };
  return {
    spool,
    drainer,
    fallback,
    close: async () => {
      await drainer.stop();
      spool.close();
    },
  };
}
