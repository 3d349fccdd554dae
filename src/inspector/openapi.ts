import { z } from 'zod';
import { eventView, ledgerEntryView } from '../receiver/openapi';
import { adminErrors, isoTime, problem, type RouteDoc } from '../shared/route-doc';
import { createBinSchema, updateBinSchema } from './bins-service';
import { OUTCOMES } from './filters';
import { sessionBody } from './page-routes';
import { exportQuery, listQuery, replayBody, streamQuery } from './routes';

export const requestSummary = z.object({
  id: z.string(),
  receivedAt: isoTime,
  method: z.string(),
  path: z.string(),
  query: z.string().nullable(),
  status: z.number(),
  outcome: z.enum(OUTCOMES),
  reason: z.string().nullable(),
  size: z.number(),
  durationMs: z.number().nullable().describe('rounded to 0.01 ms'),
  eventId: z.string().nullable(),
  source: z.string(),
  binId: z.string().nullable(),
  contentType: z.string().nullable(),
  type: z.string().nullable().describe("the event's type, else the nachocode route's, else the body's own type"),
  userId: z.string().nullable(),
  productId: z.string().nullable(),
});

const headers = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const body = z
  .object({
    text: z.string().nullable(),
    base64: z.string(),
    size: z.number(),
    json: z.boolean(),
    truncated: z.object({ receivedSize: z.number(), sha256: z.string() }).nullable(),
  })
  .nullable();

const detail = requestSummary.omit({ type: true, userId: true, productId: true }).extend({
  remoteAddr: z.string().nullable(),
  requestId: z.string().nullable(),
  keyFingerprint: z.string().nullable(),
  replayOf: z.string().nullable(),
  acceptedUnverified: z.boolean(),
  headers,
  body,
  response: z.object({ status: z.number(), body: z.unknown(), durationMs: z.number().nullable() }),
  event: eventView.extend({ relation: z.enum(['created', 'duplicate', 'conflict']), ledgerEntries: z.array(ledgerEntryView) }).nullable(),
  deliveryAttempts: z.array(
    z.object({
      deliveryId: z.string(),
      webhookName: z.string(),
      deliveryState: z.string(),
      attempt: z.number(),
      startedAt: isoTime,
      finishedAt: isoTime,
      outcome: z.string(),
      statusCode: z.number().nullable(),
      latencyMs: z.number().int().nullable(),
      errorClass: z.string().nullable(),
      errorMessage: z.string().nullable(),
      responseSnippet: z.string().nullable(),
    }),
  ),
  replayable: z.object({ ok: z.boolean(), reason: z.string().nullable() }),
  curl: z.string(),
});

const replay = z.object({
  replayOf: z.string(),
  requestId: z.string(),
  status: z.number(),
  outcome: z.string(),
  reason: z.string().nullable(),
  eventId: z.string().nullable(),
  response: z.unknown(),
  acceptedUnverified: z.boolean(),
});

const bin = z.object({
  id: z.string(),
  name: z.string().nullable(),
  url: z.string(),
  status: z.number(),
  body: z.string().nullable(),
  contentType: z.string().nullable(),
  delayMs: z.number(),
  maskSecrets: z.boolean(),
  createdAt: isoTime,
  lastRequestAt: isoTime.nullable(),
  requestCount: z.number(),
});

const missing = problem('no such request or bin');
const api = { tag: 'Inspector', auth: 'admin' } as const;

const capture = (method: RouteDoc['method']): RouteDoc => ({
  method,
  path: '/bins/:binId{/*rest}',
  tag: 'Bins',
  summary: 'Anything sent to a bin (any method, any path below it) is recorded and answered as the bin is set up',
  auth: 'none',
  bodyContentType: '*/*',
  ...(method === 'get' || method === 'delete' ? {} : { body: z.unknown() }),
  responses: {
    default: { description: "the bin's status, body and content type; without a body {received, binId, requestId}", schema: z.unknown() },
    404: missing,
  },
});

const page = (path: string, summary: string, contentType = 'text/html'): RouteDoc => ({
  method: 'get',
  path,
  tag: 'Pages',
  summary,
  auth: 'none',
  responses: { 200: { description: summary, contentType } },
});

export const inspectorRouteDocs: RouteDoc[] = [
  {
    ...api,
    method: 'get',
    path: '/api/inspector/requests',
    summary: 'Every request received, newest first, filtered',
    query: listQuery,
    responses: {
      200: { description: 'a page; pass nextCursor as cursor', schema: z.object({ data: z.array(requestSummary), nextCursor: z.string().nullable() }) },
      400: problem('invalid_query'),
      ...adminErrors,
    },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/requests/export',
    summary: 'Every matching request (streamed): masked headers, exact bodies',
    query: exportQuery,
    responses: {
      200: {
        description: 'JSON (an array of requests) or CSV',
        schema: z.array(requestSummary.partial({ type: true, userId: true, productId: true }).loose()),
        alternatives: ['text/csv'],
      },
      400: problem('invalid_query'),
      ...adminErrors,
    },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/requests/:id',
    summary: 'One request: headers, body, answer, event with ledger entries, delivery attempts, curl',
    responses: { 200: { description: 'the detail', schema: detail }, 404: missing, ...adminErrors },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/requests/:id/body',
    summary: 'The exact body bytes, as a download',
    responses: { 200: { description: 'the bytes', contentType: 'application/octet-stream' }, 404: missing, ...adminErrors },
  },
  {
    ...api,
    method: 'post',
    path: '/api/inspector/requests/:id/replay',
    summary: 'Run the stored bytes through the receiver again',
    body: replayBody,
    responses: {
      200: { description: 'what the receiver answered', schema: replay },
      400: problem('acceptUnverified in the query string, or the request is not replayable'),
      404: missing,
      409: problem('replay_of_unauthenticated_request: the bytes failed the key check; confirm with {"acceptUnverified": true}'),
      ...adminErrors,
    },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/stream',
    summary: 'Live list: server-sent events, `event: request` with a list item',
    query: streamQuery,
    responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' }, 400: problem('invalid_query'), ...adminErrors },
  },
  {
    method: 'post',
    path: '/api/bins',
    tag: 'Bins',
    summary: 'Create a capture bin',
    auth: 'admin',
    body: createBinSchema,
    responses: { 201: { description: 'the bin and its URL', schema: bin }, 422: problem('validation_failed'), ...adminErrors },
  },
  {
    method: 'get',
    path: '/api/bins',
    tag: 'Bins',
    summary: 'Bins with their request counts',
    auth: 'admin',
    responses: { 200: { description: 'every bin', schema: z.object({ data: z.array(bin) }) }, ...adminErrors },
  },
  {
    method: 'get',
    path: '/api/bins/:binId',
    tag: 'Bins',
    summary: 'One bin',
    auth: 'admin',
    responses: { 200: { description: 'the bin', schema: bin }, 404: missing, ...adminErrors },
  },
  {
    method: 'patch',
    path: '/api/bins/:binId',
    tag: 'Bins',
    summary: "Change a bin's name or answer: only the fields sent change; null clears name, body or content type",
    auth: 'admin',
    body: updateBinSchema,
    responses: { 200: { description: 'the bin', schema: bin }, 404: missing, 422: problem('validation_failed'), ...adminErrors },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/setup',
    summary: 'What to paste into nachocode: the webhook URLs and the keys, masked',
    responses: {
      200: {
        description: 'URLs and masked keys',
        schema: z.object({
          webhookUrls: z.array(z.object({ route: z.string(), url: z.string() })),
          keys: z.array(z.object({ fingerprint: z.string(), masked: z.string() })),
        }),
      },
      ...adminErrors,
    },
  },
  {
    ...api,
    method: 'get',
    path: '/api/inspector/webhook-keys/:fingerprint',
    summary: 'One webhook key in full, by its fingerprint (never cached)',
    responses: {
      200: { description: 'the key', schema: z.object({ fingerprint: z.string(), key: z.string() }) },
      404: problem('no key with this fingerprint'),
      ...adminErrors,
    },
  },
  {
    method: 'delete',
    path: '/api/bins/:binId',
    tag: 'Bins',
    summary: 'Delete a bin with its requests',
    auth: 'admin',
    responses: { 204: { description: 'deleted' }, 404: missing, ...adminErrors },
  },
  ...(['get', 'post', 'put', 'patch', 'delete'] as const).map(capture),
  { ...page('/inspector', 'The inspector page (signed in; otherwise a redirect to the sign-in page)'), auth: 'admin' },
  page('/inspector/signin', 'The sign-in page'),
  page('/inspector/assets/:name', "The inspector's scripts and styles", 'text/javascript'),
  {
    method: 'post',
    path: '/inspector/session',
    tag: 'Pages',
    summary: 'Sign in: an admin JWT becomes the httpOnly session cookie',
    auth: 'none',
    body: sessionBody,
    responses: {
      204: { description: 'signed in (Set-Cookie: iaphook_admin)' },
      400: problem('no token in the body'),
      401: problem('an invalid, expired or signed-out token'),
      403: problem('not an admin token, or another origin'),
    },
  },
  {
    method: 'delete',
    path: '/inspector/session',
    tag: 'Pages',
    summary: 'Sign out: the token is refused from now on',
    auth: 'none',
    responses: { 204: { description: 'signed out' }, 403: problem('another origin') },
  },
];
