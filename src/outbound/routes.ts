import express from 'express';
import { AppError } from '../shared/errors';
import type { DeliveryService } from './delivery-service';
import { parseBody, parseId, parseQuery } from '../http/parse';
import { bulkRedeliverBody, deliveriesQuery, discardPausedBody, testEventBody, webhookBody } from './schemas';
import type { WebhookService } from './webhook-service';

export interface OutboundRoutesDeps {
  webhooks: WebhookService;
  deliveries: DeliveryService;
}

/** Subscriptions, their attempt log and redelivery. Mounted under /api behind the admin JWT. */
export function outboundRouter(deps: OutboundRoutesDeps): express.Router {
  const router = express.Router();
  const ids = (params: Record<string, string | string[] | undefined>) => ({
    projectId: parseId(params.projectId, 'project'),
    webhookId: parseId(params.webhookId, 'webhook'),
  });

  router.post('/projects/:projectId/webhooks', async (req, res) => {
    const projectId = parseId(req.params.projectId, 'project');
    res.status(201).json(await deps.webhooks.create(projectId, parseBody(webhookBody, req.body, 'webhook')));
  });
  router.get('/projects/:projectId/webhooks', async (req, res) => {
    res.json({ webhooks: await deps.webhooks.list(parseId(req.params.projectId, 'project')) });
  });
  router.get('/projects/:projectId/webhooks/:webhookId', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    res.json(await deps.webhooks.get(projectId, webhookId));
  });
  router.put('/projects/:projectId/webhooks/:webhookId', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    res.json(await deps.webhooks.update(projectId, webhookId, parseBody(webhookBody, req.body, 'webhook')));
  });
  router.delete('/projects/:projectId/webhooks/:webhookId', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    await deps.webhooks.remove(projectId, webhookId);
    res.status(204).end();
  });

  router.post('/projects/:projectId/webhooks/:webhookId/test', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    const body = parseBody(testEventBody, req.body, 'test event');
    res.status(202).json(await deps.deliveries.sendTest(projectId, webhookId, body.event));
  });
  router.get('/projects/:projectId/webhooks/:webhookId/deliveries', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    res.json(await deps.deliveries.list(projectId, webhookId, parseQuery(deliveriesQuery, req.query)));
  });
  router.post('/projects/:projectId/webhooks/:webhookId/deliveries/redeliver', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    const body = parseBody(bulkRedeliverBody, req.body, 'bulk redelivery');
    const since = Date.parse(body.since);
    res.status(202).json(await deps.deliveries.redeliverSince(projectId, webhookId, since, body.states ?? ['failed', 'dead']));
  });
  router.post('/projects/:projectId/webhooks/:webhookId/deliveries/discard-paused', async (req, res) => {
    const { projectId, webhookId } = ids(req.params);
    const body = parseBody(discardPausedBody, req.body, 'discard');
    res.json(await deps.deliveries.discardPaused(projectId, webhookId, { stopPausing: body.stopPausing ?? false }));
  });
  router.post('/deliveries/:deliveryId/redeliver', async (req, res) => {
    const { deliveryId } = req.params;
    if (!/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/.test(deliveryId)) throw new AppError('not_found', `no delivery ${deliveryId}`);
    res.status(202).json(await deps.deliveries.redeliver(deliveryId));
  });
  return router;
}
