import { performance } from 'node:perf_hooks';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { AppError, type ErrorCode } from '../shared/errors';
import type { ReceiverRoute } from '../nachocode';
import type { Answer, InboundRequest } from './types';

export type Receive = (route: ReceiverRoute, request: InboundRequest) => Promise<Answer>;

/** The nachocode paths and the route each one is; the inspector's replay maps stored paths with it. */
export const ROUTES: ReadonlyArray<[string, ReceiverRoute]> = [
  ['/webhooks/nachocode', 'auto'],
  ['/webhooks/nachocode/purchase', 'purchase'],
  ['/webhooks/nachocode/refund', 'refund'],
  ['/webhooks/nachocode/unavailable-users', 'unavailable-users'],
];

const ROUTE_OF = new Map(ROUTES);

export function toInbound(req: Request, res: Response, bodyError?: InboundRequest['bodyError']): InboundRequest {
  const [path, query] = splitUrl(req.originalUrl);
  return {
    method: req.method,
    path,
    query,
    rawHeaders: req.rawHeaders,
    body: bodyError === undefined && Buffer.isBuffer(req.body) ? (req.body as Buffer) : null,
    bodyError,
    remoteAddr: req.ip ?? req.socket.remoteAddress ?? null,
    requestId: typeof res.locals.requestId === 'string' ? res.locals.requestId : null,
    source: 'webhook',
    startedAt: typeof res.locals.startedAt === 'number' ? res.locals.startedAt : performance.now(),
  };
}

function splitUrl(url: string): [string, string | null] {
  const q = url.indexOf('?');
  return q === -1 ? [url, null] : [url.slice(0, q), url.slice(q + 1)];
}

/** The answer as JSON, written at once: the bytes Express's res.json would send (no ETag, no JSONP), without its checks. */
function answer(res: Response, a: Answer): void {
  const json = JSON.stringify(a.body);
  res.writeHead(a.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/**
 * The nachocode routes. Bodies are read as raw bytes (any type) so the exact bytes are stored and
 * the receiver, not Express, decides between 400, 413, 415 and 422.
 *
 * A POST to one of ROUTES exactly as written (nachocode's every request) is looked up in a map and
 * handled here, without a Router: matching each route's layers in turn was most of the hot path's
 * routing cost. Everything else (other methods, unknown /webhooks paths, a trailing slash, another
 * case) goes through the Router below, which answers the same requests the same way.
 */
export function receiverRouter(receive: Receive, bodyLimitBytes: number): RequestHandler {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: bodyLimitBytes });
  for (const [path, route] of ROUTES) {
    router.post(path, rawBody, async (req, res) => answer(res, await receive(route, toInbound(req, res))));
    router.all(path, rawBody, async (req, res) => {
      res.setHeader('Allow', 'POST');
      answer(
        res,
        await receive(route, toInbound(req, res, { code: 'method_not_allowed', message: `${req.method} is not allowed here; nachocode webhooks are POST` })),
      );
    });
  }
  router.all('/webhooks/{*rest}', rawBody, async (req, res) => {
    const message = `no webhook route at ${req.path}; nachocode posts to ${ROUTES.map(([p]) => p).join(', ')}`;
    answer(res, await receive('auto', toInbound(req, res, { code: 'not_found', message })));
  });
  const bodyErrors = bodyErrorHandler(receive, bodyLimitBytes);
  router.use(bodyErrors);

  const handler: RequestHandler = (req, res, next) => {
    const route = req.method === 'POST' ? ROUTE_OF.get(splitUrl(req.url)[0]) : undefined;
    if (route === undefined) return router(req, res, next);
    rawBody(req, res, (error?: unknown) => {
      if (error !== undefined) return void bodyErrors(error, req, res, next);
      receive(route, toInbound(req, res))
        .then((a) => answer(res, a))
        .catch(next);
    });
  };
  // The Router's layers, where tools that walk an app's routers look for them (a Router's own
  // `stack`): the OpenAPI check finds these routes as it finds every other.
  return Object.assign(handler, { stack: router.stack });
}

/** Body-reading failures (too large, aborted, bad encoding) are answered and recorded like any rejection. */
function bodyErrorHandler(receive: Receive, bodyLimitBytes: number): ErrorRequestHandler {
  return async (error: unknown, req, res, next) => {
    const { status, type } = (error ?? {}) as { status?: number; type?: string; expected?: number; length?: number };
    // Only the body reader's own 4xx errors are the sender's fault; anything else is ours (500).
    const fromBodyReader = typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string';
    if (!req.path.startsWith('/webhooks') || !fromBodyReader) return next(error);
    const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
    const message =
      code === 'payload_too_large' ? `the body is larger than the ${bodyLimitBytes}-byte limit` : `the body could not be read (${type ?? 'unknown error'})`;
    const declared = Number(req.headers['content-length']);
    // Matched as the Router matches: any case, one trailing slash.
    const route = ROUTE_OF.get(req.path.toLowerCase().replace(/\/$/, '')) ?? 'auto';
    try {
      answer(res, await receive(route, toInbound(req, res, { code, message, declaredSize: Number.isFinite(declared) ? declared : undefined })));
    } catch (storeError) {
      next(new AppError('service_unavailable', 'the request could not be recorded', undefined, { cause: storeError }));
    }
  };
}
