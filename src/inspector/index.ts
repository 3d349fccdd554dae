import express from 'express';
import type { TokenChecker } from '../http/token-checker';
import type { Receive } from '../receiver';
import type { Clock } from '../shared/clock';
import type { DeliveryAttemptRow } from '../outbound';
import type { Queryable, Storage } from '../storage/port';
import { binCaptureRouter, binsAdminRouter } from './bins-routes';
import { BinsService, type BinLimits } from './bins-service';
import { LiveFeed } from './live';
import { inspectorPageRouter } from './page-routes';
import { pruneAccepted, pruneIdleBins, type AcceptedRetention } from './retention';
import { inspectorApiRouter } from './routes';
import { InspectorService } from './service';
import { setupRouter } from './setup';

export { LiveFeed } from './live';
export { BinsService, type BinLimits } from './bins-service';
export { InspectorService } from './service';
export { pruneAccepted, pruneIdleBins, type AcceptedRetention } from './retention';
export { INSPECTOR_PATH, SIGNIN_PATH } from './paths';
export type { RequestFilter } from './filters';

export interface InspectorLimits {
  accepted: AcceptedRetention;
  bins: BinLimits;
}

export interface InspectorOptions {
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  /** The receiver: replays go through it exactly as webhooks do. */
  receive: Receive;
  /** Created first, because the receiver reports to it (onRecorded). */
  feed: LiveFeed;
  /** A bin recorded a request (after its commit); the live feed's own recorded() when absent. */
  onRecorded?(requestId: string): void;
  entriesForEvent(db: Queryable, eventId: string): Promise<unknown[]>;
  /** The outbound capability's delivery attempts that sent a request (it owns the delivery tables). */
  deliveryAttempts(messageId: string, binId: string | null): Promise<DeliveryAttemptRow[]>;
  tokens: TokenChecker;
  publicUrl: string | null;
  /** The keys nachocode may send: the empty page offers them to copy (admins only). */
  webhookKeys: readonly string[];
  bodyLimitBytes: number;
  limits: InspectorLimits;
}

export interface Inspector {
  feed: LiveFeed;
  service: InspectorService;
  bins: BinsService;
  /** Mounted under /api, behind the admin check: the inspector API and bin management. */
  apiRouter: express.Router;
  /** Mounted at the root: the page, its sign-in and the bins' capture URLs. */
  publicRouter: express.Router;
  /** Deletes accepted raw requests and idle bins beyond the limits. */
  prune(): Promise<number>;
  /** Ends the live streams (shutdown). */
  close(): void;
}

/** Rows deleted per transaction while pruning, and the most transactions one prune runs. */
const PRUNE_CHUNK = 5000;
const PRUNE_MAX_CHUNKS = 200;

/** The inspector capability: the page, its API, capture bins, replay and retention. */
export function createInspector(options: InspectorOptions): Inspector {
  const { storage, clock, feed, limits } = options;
  const service = new InspectorService({
    storage,
    clock,
    receive: options.receive,
    entriesForEvent: options.entriesForEvent,
    deliveryAttempts: options.deliveryAttempts,
  });
  const bins = new BinsService({ storage, clock, limits: limits.bins, onRecorded: options.onRecorded ?? ((id) => feed.recorded(id)) });

  const apiRouter = express.Router();
  apiRouter.use(inspectorApiRouter({ db: storage.read, clock, service, feed, publicUrl: options.publicUrl }));
  apiRouter.use(binsAdminRouter(bins, options.publicUrl));
  apiRouter.use(setupRouter(options.webhookKeys, options.publicUrl));

  const publicRouter = express.Router();
  publicRouter.use(inspectorPageRouter({ tokens: options.tokens, clock, publicUrl: options.publicUrl }));
  publicRouter.use(binCaptureRouter(bins, options.bodyLimitBytes));

  return {
    feed,
    service,
    bins,
    apiRouter,
    publicRouter,
    prune: async () => {
      let total = 0;
      for (let i = 0; i < PRUNE_MAX_CHUNKS; i += 1) {
        const removed = await storage.write((tx) => pruneAccepted(tx, limits.accepted, clock.now(), PRUNE_CHUNK));
        total += removed;
        if (removed < PRUNE_CHUNK) break;
      }
      return total + (await storage.write((tx) => pruneIdleBins(tx, limits.bins.maxAgeDays, clock.now())));
    },
    close: () => feed.close(),
  };
}
