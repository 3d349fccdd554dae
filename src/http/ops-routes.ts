import express from 'express';
import type { Registry } from 'prom-client';

export interface Readiness {
  ok: boolean;
  checks: Record<string, string>;
}

/** Liveness, readiness and Prometheus metrics; unauthenticated, as orchestrators expect. */
export function opsRouter(readiness: () => Promise<Readiness>, registry: Registry): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const result = await readiness();
    res.status(result.ok ? 200 : 503).json({ status: result.ok ? 'ready' : 'not_ready', checks: result.checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}
