import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import type { Registry } from 'prom-client';
import { AppError } from '../shared/errors';
import { projectRoot } from '../shared/project-root';
import { bearer } from './auth';

export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

export interface OpsOptions {
  /** METRICS_TOKEN: when set, /metrics answers only a Bearer token equal to it. */
  metricsToken: string | null;
}

/** Where a newcomer goes from `GET /`: the inspector, the API description and the guide. */
export const HOME_LINKS = {
  inspector: '/inspector',
  signIn: '/inspector/signin',
  openapi: '/openapi.json',
  readme: '/README.md',
  health: '/healthz',
  metrics: '/metrics',
} as const;

const digest = (text: string) => crypto.createHash('sha256').update(text).digest();

/** Compares digests, so the comparison takes the same time whatever the token's length or prefix. */
function metricsGuard(token: string | null): express.RequestHandler {
  const expected = token === null ? null : digest(token);
  return (req, _res, next) => {
    if (expected === null) return next();
    const presented = bearer(req.headers.authorization);
    if (presented === null || !crypto.timingSafeEqual(digest(presented), expected)) {
      throw new AppError('unauthorized', 'METRICS_TOKEN is set: send "Authorization: Bearer <METRICS_TOKEN>"');
    }
    next();
  };
}

function homeHtml(): string {
  const items = Object.entries(HOME_LINKS)
    .map(([name, href]) => `<li><a href="${href}">${name}</a> <code>${href}</code></li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>iaphook</title></head><body><h1>iaphook</h1><p>A receiver for nachocode in-app-payment webhooks and an entitlement ledger.</p><ul>${items}</ul></body></html>`;
}

/** The front door, liveness, readiness and Prometheus metrics; unauthenticated (metrics unless METRICS_TOKEN), as orchestrators expect. */
export function opsRouter(readiness: () => Promise<Readiness>, registry: Registry, options: OpsOptions): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    // Browsers get a page of links; tools get the same links as JSON.
    res.format({
      'application/json': () => res.json({ name: 'iaphook', links: HOME_LINKS }),
      'text/html': () => res.send(homeHtml()),
      default: () => res.json({ name: 'iaphook', links: HOME_LINKS }),
    });
  });
  router.get(HOME_LINKS.readme, async (_req, res) => {
    res.type('text/markdown; charset=utf-8').send(await fs.readFile(path.join(projectRoot(), 'README.md'), 'utf8'));
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const result = await readiness();
    res.status(result.ok ? 200 : 503).json({ status: result.ok ? 'ready' : 'not_ready', checks: result.checks });
  });
  router.get('/metrics', metricsGuard(options.metricsToken), async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}
