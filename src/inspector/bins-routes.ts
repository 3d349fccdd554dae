import { setTimeout as sleep } from 'node:timers/promises';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { performance } from 'node:perf_hooks';
import { parseBody } from '../http/parse';
import { AppError } from '../shared/errors';
import { binView, createBinSchema, updateBinSchema, type BinAnswer, type BinsService, type CaptureInput } from './bins-service';
import { baseUrlOf } from './routes';

const BIN_ID = /^bin_[0-9A-HJKMNP-TV-Z]{26}$/;

function binId(req: Request): string {
  const id = req.params.binId;
  if (typeof id !== 'string' || !BIN_ID.test(id)) throw new AppError('not_found', `no bin ${String(id)}`);
  return id;
}

/** Managing bins: under /api, behind the admin check. */
export function binsAdminRouter(bins: BinsService, publicUrl: string | null): express.Router {
  const router = express.Router();
  router.post('/bins', async (req, res) => {
    const bin = await bins.create(parseBody(createBinSchema, req.body, 'bin'));
    res.status(201).json(binView(bin, baseUrlOf(req, publicUrl), 0));
  });
  router.patch('/bins/:binId', async (req, res) => {
    const id = binId(req);
    const bin = await bins.update(id, parseBody(updateBinSchema, req.body, 'bin'));
    res.json(binView(bin, baseUrlOf(req, publicUrl), bin.requestCount));
  });
  router.get('/bins', async (req, res) => {
    res.json({ data: (await bins.list()).map((b) => binView(b, baseUrlOf(req, publicUrl), b.requestCount)) });
  });
  router.get('/bins/:binId', async (req, res) => {
    const bin = await bins.get(binId(req));
    res.json(binView(bin, baseUrlOf(req, publicUrl), bin.requestCount));
  });
  router.delete('/bins/:binId', async (req, res) => {
    await bins.remove(binId(req));
    res.status(204).end();
  });
  return router;
}

function captureInput(req: Request, res: Response, failure?: CaptureInput['failure']): CaptureInput {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  const declared = Number(req.headers['content-length']);
  const body = failure === undefined && Buffer.isBuffer(req.body) ? (req.body as Buffer) : null;
  return {
    method: req.method,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? null : url.slice(q + 1),
    rawHeaders: req.rawHeaders,
    body,
    bodySize: body?.length ?? (Number.isFinite(declared) ? declared : 0),
    remoteAddr: req.ip ?? req.socket.remoteAddress ?? null,
    requestId: typeof res.locals.requestId === 'string' ? res.locals.requestId : null,
    startedAt: typeof res.locals.startedAt === 'number' ? res.locals.startedAt : performance.now(),
    failure,
  };
}

async function answer(res: Response, result: BinAnswer | null, id: string): Promise<void> {
  if (result === null) throw new AppError('not_found', `no bin ${id}`);
  if (result.delayMs > 0) await sleep(result.delayMs);
  if (res.destroyed) return;
  // A bin's body is whatever its creator typed: sandboxed so a browser opening the URL runs nothing on our origin.
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('X-Iaphook-Request-Id', result.requestId);
  res
    .status(result.status)
    .type(result.contentType)
    .send(result.status === 204 || result.status === 304 ? undefined : result.body);
}

/**
 * /bins/:binId (and anything below it), any method, any body: recorded raw and answered as the bin
 * is configured. Unauthenticated on purpose: senders (outbound subscriptions, webhook tools) know
 * only the URL, whose id is a ULID with 80 random bits.
 */
export function binCaptureRouter(bins: BinsService, bodyLimitBytes: number): express.Router {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: bodyLimitBytes });
  router.all('/bins/:binId{/*rest}', rawBody, async (req, res) => {
    const id = binId(req);
    await answer(res, await bins.capture(id, captureInput(req, res)), id);
  });
  // A body that could not be read (too large, aborted) is still recorded, with the status it got.
  const bodyErrors: ErrorRequestHandler = async (error: unknown, req, res, next) => {
    const id = typeof req.params.binId === 'string' ? req.params.binId : '';
    const { status, type } = (error ?? {}) as { status?: number; type?: string };
    // Only the body parser's errors (they carry a type); ours (an unknown bin) go to the error handler.
    if (!BIN_ID.test(id) || error instanceof AppError || type === undefined) return next(error);
    const failure = { status: status === 413 ? 413 : 400, reason: status === 413 ? 'payload_too_large' : (type ?? 'bad_request') };
    try {
      await answer(res, await bins.capture(id, captureInput(req, res, failure)), id);
    } catch (captureError) {
      next(captureError);
    }
  };
  router.use('/bins/:binId', bodyErrors);
  return router;
}
