import type { HttpRequest } from '../delivery';
import { activeSecrets, signatureHeaders } from './signing';
import { fillTemplate, fillUrl } from './template';
import { ENTITLEMENT_UPDATED, type Envelope, type Webhook } from './types';

export interface OutboundMessage {
  /** msg_…: the same on every attempt and redelivery, so receivers can drop duplicates. */
  id: string;
  envelope: Envelope;
  /** When the event was emitted (epoch ms). */
  emittedAt: number;
  /** A test event: marked with TEST_HEADER so a receiver can tell it from a real one. */
  test?: boolean;
}

/**
 * The body as sent without a template: ABC's events in ABC's envelope `{event, data}`, unchanged;
 * iaphook's own entitlement.updated in the Standard Webhooks shape `{type, timestamp, data}`.
 */
export function wireBody(message: Pick<OutboundMessage, 'envelope' | 'emittedAt'>): Record<string, unknown> {
  const { envelope } = message;
  if (envelope.event !== ENTITLEMENT_UPDATED) return { event: envelope.event, data: envelope.data };
  return { type: envelope.event, timestamp: new Date(message.emittedAt).toISOString(), data: envelope.data };
}

export const TEST_HEADER = 'x-iaphook-test';

export interface RequestContext {
  now: number;
  userAgent: string;
}

/**
 * What a bodyless request signs in place of the body: its query string as sent (without the `?`;
 * empty when there is none). The event's values travel there, so the signature covers them, and
 * a Standard Webhooks library verifies it as any payload: `verify(query, headers)`.
 */
export function signedQuery(url: string): string {
  return new URL(url).search.slice(1);
}

/**
 * The HTTP request for one attempt, as a pure function: the event's body (wireBody) and headers, a template's
 * method/headers/body instead when set (GET and DELETE send no body), the URL's query-string
 * placeholders filled, then the token and Standard Webhooks headers, which a template cannot
 * override (they are what the receiver checks).
 */
export function buildRequest(
  webhook: Pick<Webhook, 'url' | 'token' | 'template' | 'signingSecret' | 'previousSigningSecret' | 'previousSecretExpiresAt'>,
  message: OutboundMessage,
  ctx: RequestContext,
): HttpRequest {
  const filled = webhook.template === null ? null : fillTemplate(webhook.template, message.envelope);
  const url = fillUrl(webhook.url, message.envelope);
  const body = filled === null ? JSON.stringify(wireBody(message)) : filled.body;
  const headers: Record<string, string> = {
    ...(body === null ? {} : { 'content-type': 'application/json' }),
    ...filled?.headers,
    'user-agent': ctx.userAgent,
    'webhook-id': message.id,
    ...(message.test === true ? { [TEST_HEADER]: 'true' } : {}),
  };
  if (webhook.token !== null) headers['x-webhook-token'] = webhook.token;
  const secrets = activeSecrets(webhook, ctx.now);
  if (secrets.length > 0) Object.assign(headers, signatureHeaders({ msgId: message.id, now: ctx.now, body: body ?? signedQuery(url), secrets }));
  return { url, method: filled?.method ?? 'POST', headers, body };
}
