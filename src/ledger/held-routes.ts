import express from 'express';
import { z } from 'zod';
import { KNOWN_VALUES } from '../nachocode';
import { parseBody } from '../http/parse';
import type { HeldEvents } from './held-events';
import { valueFieldOf } from './held-events';

const iso = (ms: number) => new Date(ms).toISOString();
const mappingView = (m: { field: string; value: string; meaning: string; createdAt: number; updatedAt: number }) => ({
  field: m.field,
  value: m.value,
  meaning: m.meaning,
  createdAt: iso(m.createdAt),
  updatedAt: iso(m.updatedAt),
});

export const mappingBody = z.strictObject({ meaning: z.string().min(1).max(256) });

/** Admin API: value mappings and applying a held event again. Mounted under /api behind an admin JWT. */
export function heldEventsRouter(held: HeldEvents): express.Router {
  const router = express.Router();
  router.get('/value-mappings', async (_req, res) => {
    res.json({ data: (await held.list()).map(mappingView), knownValues: KNOWN_VALUES });
  });
  router.put('/value-mappings/:field/:value', async (req, res) => {
    const field = valueFieldOf(req.params.field);
    const { meaning } = parseBody(mappingBody, req.body, 'value mapping');
    const { mapping, queued } = await held.map(field, req.params.value, meaning);
    res.json({ ...mappingView(mapping), queued });
  });
  router.delete('/value-mappings/:field/:value', async (req, res) => {
    await held.unmap(valueFieldOf(req.params.field), req.params.value);
    res.status(204).end();
  });
  router.post('/events/:eventId/apply', async (req, res) => {
    res.status(202).json(await held.retry(req.params.eventId));
  });
  return router;
}
