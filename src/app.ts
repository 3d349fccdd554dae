import express from 'express';
import helmet from 'helmet';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import { requireRole } from './http/auth';
import type { TokenChecker } from './http/token-checker';
import { errorHandler, notFound } from './http/error-handler';
import { jsonBody } from './http/json-body';
import type { Inspector } from './inspector';
import { opsRouter, type Readiness } from './http/ops-routes';
import { requestContext } from './http/request-context';
import { adminEntitlementsRouter, meRouter, type EntitlementsFor } from './ledger/routes';
import type { Metrics } from './metrics';
import { openApiRouter } from './openapi';
import { eventsRouter, receiverRouter, type Receive } from './receiver';
import type { Clock } from './shared/clock';
import type { Queryable } from './storage/port';

export interface AppDeps {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  receive: Receive;
  /** Checks JWTs (signature, JWT_MAX_TTL, sign-out) for the API and the pages. */
  tokens: TokenChecker;
  /** PUBLIC_URL: an origin the pages may be served from (the cookie's same-origin check). */
  publicUrl: string | null;
  /** TRUST_PROXY: Express's `trust proxy` (client address, HTTPS and host from X-Forwarded-*). */
  trustProxy: boolean | number | readonly string[];
  bodyLimitBytes: number;
  logRequests: boolean;
  /** METRICS_TOKEN: a Bearer token /metrics requires; null leaves it open. */
  metricsToken?: string | null;
  readiness(): Promise<Readiness>;
  entitlementsFor: EntitlementsFor;
  entriesForEvent(db: Queryable, eventId: string): Promise<unknown[]>;
  /** The inspector page, its API, and capture bins (src/inspector). */
  inspector?: Pick<Inspector, 'apiRouter' | 'publicRouter'>;
  /** More admin routers under /api (feedback, outbound webhooks), behind the same JWT check. */
  apiRouters?: express.Router[];
  /** Server-rendered pages outside /api that check the admin session themselves (reconciliation). */
  pageRouters?: express.Router[];
}

/** The Express app, without listen(): main.ts serves it, tests drive it with supertest. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip, req.secure (the cookie's Secure flag) and req.host believe X-Forwarded-* only from these proxies.
  app.set('trust proxy', Array.isArray(deps.trustProxy) ? [...deps.trustProxy] : deps.trustProxy);
  app.use(requestContext);
  if (deps.logRequests) {
    app.use(
      pinoHttp({
        logger: deps.logger,
        genReqId: (_req, res) => res.locals.requestId as string,
        // No bodies and no header dumps on the hot path: method, url, status and time are enough.
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        customLogLevel: (_req, res, err) => (err !== undefined || res.statusCode >= 500 ? 'error' : 'info'),
      }),
    );
  }
  // The webhook routes answer servers, not browsers: helmet's browser headers would only cost time
  // on the hottest path, so they are mounted before it.
  app.use(receiverRouter(deps.receive, deps.bodyLimitBytes));
  app.use(helmet());
  app.use(opsRouter(deps.readiness, deps.metrics.registry, { metricsToken: deps.metricsToken ?? null }));
  app.use(openApiRouter());
  // Before any body parser: bins record the exact bytes they receive.
  if (deps.inspector !== undefined) app.use(deps.inspector.publicRouter);
  for (const router of deps.pageRouters ?? []) app.use(router);

  const api = express.Router();
  api.use(requireRole(deps.tokens, 'admin', { cookie: true, publicUrl: deps.publicUrl }));
  api.use(...jsonBody('1mb'));
  api.use(eventsRouter({ db: deps.db, entriesForEvent: deps.entriesForEvent }));
  api.use(adminEntitlementsRouter(deps.db, deps.entitlementsFor));
  if (deps.inspector !== undefined) api.use(deps.inspector.apiRouter);
  for (const router of deps.apiRouters ?? []) api.use(router);
  app.use('/api', api);

  const v1 = express.Router();
  v1.use(requireRole(deps.tokens, 'user'));
  v1.use(meRouter(deps.db, deps.entitlementsFor));
  app.use('/v1', v1);

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
