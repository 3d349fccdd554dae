import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware: notes when the request arrived (stored durations include body reading) and
 * gives it an id, the caller's X-Request-Id when it is sane, echoed back and used in every log line.
 */
export const requestContext: RequestHandler = (req, res, next) => {
  res.locals.startedAt = performance.now();
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};
