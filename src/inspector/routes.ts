import express, { type Request } from 'express';
import { z } from 'zod';
import { parseBody, parseQuery } from '../http/parse';
import type { Clock } from '../shared/clock';
import type { Queryable } from '../storage/port';
import { exportFilename, writeExport } from './export';
import { cursorShape, dropEmpty, filterShape, isRequestId, type RequestFilter } from './filters';
import type { LiveFeed } from './live';
import type { InspectorService } from './service';
import { AppError } from '../shared/errors';

export interface InspectorRoutesDeps {
  /** Reads for the export (storage.read). */
  db: Queryable;
  clock: Clock;
  service: InspectorService;
  feed: LiveFeed;
  /** PUBLIC_URL when configured: the base of copied curl commands and bin URLs. */
  publicUrl: string | null;
}

export const listQuery = z.strictObject({ ...filterShape, ...cursorShape });
export const exportQuery = z.strictObject({
  ...filterShape,
  format: z.enum(['csv', 'json']).default('json'),
  limit: z.coerce.number().int().min(1).optional(),
});
export const streamQuery = z.strictObject({ ...filterShape, lastEventId: z.string().optional() });
// No query parameters: a confirmation in the URL could ride on a link or a plain form.
const replayQuery = z.strictObject({});
export const replayBody = z.strictObject({ acceptUnverified: z.boolean().optional() });

/** The admin's confirmation for a request that failed the key check: only in a JSON body. */
function acceptsUnverified(req: Request): boolean {
  if (typeof req.query === 'object' && req.query !== null && 'acceptUnverified' in req.query) {
    const fields = [{ field: 'acceptUnverified', message: 'send it in a JSON body instead' }];
    throw new AppError('invalid_query', 'acceptUnverified is accepted only in a JSON body: {"acceptUnverified": true}', { fields });
  }
  parseQuery(replayQuery, req.query);
  return parseBody(replayBody, req.body, 'replay options').acceptUnverified === true;
}

/** Where this server is reached: PUBLIC_URL, or the host the admin's browser used. */
export function baseUrlOf(req: Request, publicUrl: string | null): string {
  return publicUrl ?? `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

function requestId(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !isRequestId(id)) throw new AppError('not_found', `no request ${String(id)}`);
  return id;
}

/** The filter part of a parsed query (the rest is paging or format). */
function filterOf(query: RequestFilter): RequestFilter {
  const { outcome, reason, path, environment, userId, q, source, binId, from, to } = query;
  return { outcome, reason, path, environment, userId, q, source, binId, from, to };
}

/** The inspector API, mounted under /api behind the admin check (bearer or session cookie). */
export function inspectorApiRouter(deps: InspectorRoutesDeps): express.Router {
  const router = express.Router();
  const { service } = deps;

  router.get('/inspector/requests', async (req, res) => {
    const query = parseQuery(listQuery, dropEmpty(req.query));
    res.json(await service.list(filterOf(query), query.cursor, query.limit));
  });

  router.get('/inspector/requests/export', async (req, res) => {
    const query = parseQuery(exportQuery, dropEmpty(req.query));
    res.setHeader('Content-Type', query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${exportFilename(query.format, deps.clock.now())}"`);
    res.setHeader('Cache-Control', 'no-store');
    await writeExport(res, deps.db, filterOf(query), query.format, query.limit);
  });

  router.get('/inspector/requests/:id', async (req, res) => {
    res.json(await service.detail(requestId(req), baseUrlOf(req, deps.publicUrl)));
  });

  // The exact bytes, as a download: never rendered by the browser (it is untrusted input).
  router.get('/inspector/requests/:id/body', async (req, res) => {
    const id = requestId(req);
    const { bytes } = await service.body(id);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${id}.body"`);
    res.send(bytes);
  });

  router.post('/inspector/requests/:id/replay', async (req, res) => {
    const id = requestId(req);
    const context = { remoteAddr: req.ip ?? null, requestId: typeof res.locals.requestId === 'string' ? res.locals.requestId : null };
    const outcome = await service.replay(id, context, { acceptUnverified: acceptsUnverified(req) });
    if (!outcome.ok) return res.status(outcome.status).json(outcome.body);
    res.json(outcome.result);
  });

  router.get('/inspector/stream', (req, res) => {
    const query = parseQuery(streamQuery, dropEmpty(req.query));
    const header = req.get('last-event-id');
    const lastEventId = [header, query.lastEventId].find((v): v is string => v !== undefined && isRequestId(v));
    deps.feed.open(res, filterOf(query), lastEventId);
  });

  return router;
}
