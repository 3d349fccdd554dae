import { performance } from 'node:perf_hooks';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
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

/**
 * The nachocode routes. Bodies are read as raw bytes (any type) so the exact bytes are stored and
 * the receiver, not Express, decides between 400, 413, 415 and 422.
 */
export function receiverRouter(receive: Receive, bodyLimitBytes: number): express.Router {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: bodyLimitBytes });
  const answer = (res: Response, a: Answer) => res.status(a.status).json(a.body);
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
  // Body-reading failures (too large, aborted, bad encoding) are answered and recorded like any rejection.
  const bodyErrors: ErrorRequestHandler = async (error: unknown, req, res, next) => {
    const { status, type } = (error ?? {}) as { status?: number; type?: string; expected?: number; length?: number };
    // Only the body reader's own 4xx errors are the sender's fault; anything else is ours (500).
    const fromBodyReader = typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string';
    if (!req.path.startsWith('/webhooks') || !fromBodyReader) return next(error);
    const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
    const message =
      code === 'payload_too_large' ? `the body is larger than the ${bodyLimitBytes}-byte limit` : `the body could not be read (${type ?? 'unknown error'})`;
    const declared = Number(req.headers['content-length']);
    const route = ROUTES.find(([p]) => p === req.path)?.[1] ?? 'auto';
    try {
      answer(res, await receive(route, toInbound(req, res, { code, message, declaredSize: Number.isFinite(declared) ? declared : undefined })));
    } catch (storeError) {
      next(new AppError('service_unavailable', 'the request could not be recorded', undefined, { cause: storeError }));
    }
  };
  router.use(bodyErrors);
  return router;
}
