import type { HttpRequest } from '../delivery';
import { activeSecrets, signatureHeaders } from './signing';
import { fillTemplate } from './template';
import type { Envelope, Webhook } from './types';

export interface OutboundMessage {
  /** msg_…: the same on every attempt and redelivery, so receivers can drop duplicates. */
  id: string;
  envelope: Envelope;
}

export interface RequestContext {
  now: number;
  userAgent: string;
}

/**
 * The HTTP request for one attempt, as a pure function: ABC's envelope and headers, a template's
 * method/headers/body instead when set, then the token and Standard Webhooks headers, which a
 * template cannot override (they are what the receiver checks).
 */
export function buildRequest(
  webhook: Pick<Webhook, 'url' | 'token' | 'template' | 'signingSecret' | 'previousSigningSecret' | 'previousSecretExpiresAt'>,
  message: OutboundMessage,
  ctx: RequestContext,
): HttpRequest {
  const filled = webhook.template === null ? null : fillTemplate(webhook.template, message.envelope);
  const body = filled?.body ?? JSON.stringify(message.envelope);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...filled?.headers,
    'user-agent': ctx.userAgent,
    'webhook-id': message.id,
  };
  if (webhook.token !== null) headers['x-webhook-token'] = webhook.token;
  const secrets = activeSecrets(webhook, ctx.now);
  if (secrets.length > 0) Object.assign(headers, signatureHeaders({ msgId: message.id, now: ctx.now, body, secrets }));
  return { url: webhook.url, method: filled?.method ?? 'POST', headers, body };
}
