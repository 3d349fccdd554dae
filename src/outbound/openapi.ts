import { z } from 'zod';
import { adminApiDocs, adminErrors, isoTime, problem, type ResponseDoc, type RouteDoc } from '../shared/route-doc';
import { bulkRedeliverBody, deliveriesQuery, discardPausedBody, testEventBody, webhookBody } from './schemas';
import { EVENT_TYPES } from './types';

const webhook = z.object({
  id: z.number(),
  projectId: z.number(),
  name: z.string(),
  url: z.string(),
  status: z.enum(['ACTIVE', 'INACTIVE']),
  token: z.string().nullable().describe('masked: **** and the last four characters'),
  events: z.array(z.object({ type: z.enum(EVENT_TYPES), status: z.enum(['ACTIVE', 'INACTIVE']), channelIds: z.array(z.number()) })),
  retryPolicy: z.enum(['abc', 'exponential']),
  template: z.record(z.string(), z.unknown()).nullable(),
  filter: z.record(z.string(), z.array(z.unknown())).nullable(),
  signing: z.object({ enabled: z.boolean(), previousSecretValidUntil: isoTime.nullable() }),
  health: z.object({
    consecutiveFailures: z.number(),
    failingSince: isoTime.nullable(),
    disabledReason: z.string().nullable(),
    disabledAt: isoTime.nullable(),
    paused: z.boolean(),
  }),
  createdAt: isoTime,
  updatedAt: isoTime,
});

const attempt = z.object({
  attempt: z.number(),
  at: isoTime,
  statusCode: z.number().nullable(),
  latencyMs: z.number().int().nullable(),
  errorClass: z.string().nullable(),
  error: z.string().nullable(),
  responseSnippet: z.string().nullable(),
});

const delivery = z.object({
  id: z.string(),
  event: z.string(),
  eventId: z.string().describe('the outbound event (msg_…), sent as webhook-id'),
  webhookId: z.number(),
  state: z.enum(['pending', 'succeeded', 'failed', 'dead', 'paused', 'discarded']),
  createdAt: isoTime,
  updatedAt: isoTime,
  nextAttemptAt: isoTime.nullable(),
  test: z.boolean().describe('a test event (POST …/test)'),
  attempts: z.array(attempt),
});

const missing = problem('no such project, subscription or delivery');
const invalid = problem('validation_failed: details.fields names each field');
const answers = (ok: Record<number, ResponseDoc>, extra: Record<number, ResponseDoc> = {}) => ({ ...ok, 404: missing, ...extra, ...adminErrors });
const doc = adminApiDocs('Subscriptions');

const one = '/projects/:projectId/webhooks/:webhookId';

export const outboundRouteDocs: RouteDoc[] = [
  doc('post', '/projects/:projectId/webhooks', 'Subscribe a URL to outbound events', {
    body: webhookBody,
    responses: answers({ 201: { description: 'the subscription', schema: webhook } }, { 409: problem('the name is taken in this project'), 422: invalid }),
  }),
  doc('get', '/projects/:projectId/webhooks', "A project's subscriptions", {
    responses: answers({ 200: { description: 'every subscription', schema: z.object({ webhooks: z.array(webhook) }) } }),
  }),
  doc('get', one, 'One subscription', { responses: answers({ 200: { description: 'the subscription', schema: webhook } }) }),
  doc('put', one, 'Replace a subscription (ACTIVE again sends what was kept paused)', {
    body: webhookBody,
    responses: answers({ 200: { description: 'the subscription', schema: webhook } }, { 409: problem('the name is taken in this project'), 422: invalid }),
  }),
  doc('delete', one, 'Delete a subscription', { responses: answers({ 204: { description: 'deleted' } }) }),
  doc('post', `${one}/test`, "Send an example event of the subscription's type through the normal path (marked x-iaphook-test)", {
    body: testEventBody,
    responses: answers(
      {
        202: {
          description: 'queued',
          schema: z.object({
            eventId: z.string(),
            deliveryId: z.string(),
            projectId: z.number(),
            webhookId: z.number(),
            event: z.enum(EVENT_TYPES),
            test: z.literal(true),
          }),
        },
      },
      { 409: problem('the subscription is inactive or paused'), 422: invalid },
    ),
  }),
  doc('get', `${one}/deliveries`, 'The attempt log, newest first', {
    query: deliveriesQuery,
    responses: answers(
      { 200: { description: 'a page of deliveries', schema: z.object({ deliveries: z.array(delivery), nextCursor: z.string().nullable() }) } },
      { 400: problem('invalid_query') },
    ),
  }),
  doc('post', `${one}/deliveries/redeliver`, 'Redeliver those created since a time (1000 per call)', {
    body: bulkRedeliverBody,
    responses: answers(
      { 202: { description: 'queued again', schema: z.object({ redelivered: z.number(), deliveryIds: z.array(z.string()), more: z.boolean() }) } },
      { 409: problem('the subscription is inactive'), 422: invalid },
    ),
  }),
  doc('post', `${one}/deliveries/discard-paused`, 'Drop what a paused subscription kept', {
    body: discardPausedBody,
    responses: answers(
      {
        200: {
          description: 'how many were discarded',
          schema: z.object({ discarded: z.number(), status: z.enum(['ACTIVE', 'INACTIVE']), paused: z.boolean() }),
        },
      },
      { 422: invalid },
    ),
  }),
  doc('post', '/deliveries/:deliveryId/redeliver', 'Send a finished delivery again (same webhook-id)', {
    responses: answers(
      { 202: { description: 'queued again', schema: z.object({ id: z.string(), state: z.literal('pending') }) } },
      { 409: problem('pending or paused, or its subscription is inactive') },
    ),
  }),
];
