import express from 'express';
import type { TokenChecker } from '../http/token-checker';
import type { Receive } from '../receiver';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/database';
import type { GroupCommitter } from '../storage/group-commit';
import { binCaptureRouter, binsAdminRouter } from './bins-routes';
import { BinsService, type BinLimits } from './bins-service';
import { LiveFeed } from './live';
import { inspectorPageRouter } from './page-routes';
import { pruneAccepted, pruneIdleBins, type AcceptedRetention } from './retention';
import { inspectorApiRouter } from './routes';
import { InspectorService } from './service';

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
  db: Db;
  committer: GroupCommitter;
  clock: Clock;
  /** The receiver: replays go through it exactly as webhooks do. */
  receive: Receive;
  /** Created first, because the receiver reports to it (onRecorded). */
  feed: LiveFeed;
  entriesForEvent(db: Db, eventId: string): unknown[];
  tokens: TokenChecker;
  publicUrl: string | null;
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
  const { db, committer, clock, feed, limits } = options;
  const service = new InspectorService({ db, clock, receive: options.receive, entriesForEvent: options.entriesForEvent });
  const bins = new BinsService({ committer, db, clock, limits: limits.bins, onRecorded: (id) => feed.recorded(id) });

  const apiRouter = express.Router();
  apiRouter.use(inspectorApiRouter({ db, clock, service, feed, publicUrl: options.publicUrl }));
  apiRouter.use(binsAdminRouter(bins, options.publicUrl));

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
        const removed = await committer.run((tx) => pruneAccepted(tx, limits.accepted, clock.now(), PRUNE_CHUNK));
        total += removed;
        if (removed < PRUNE_CHUNK) break;
      }
      return total + (await committer.run((tx) => pruneIdleBins(tx, limits.bins.maxAgeDays, clock.now())));
    },
    close: () => feed.close(),
  };
}
