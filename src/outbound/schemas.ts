import { z } from 'zod';
import { PATH_PATTERN } from './paths';
import { secretKey } from './signing';
import { invalidPlaceholders, isBodyless, urlPlaceholderProblems } from './template';
import { CHANNEL_EVENT_TYPES, EVENT_TYPES, TEMPLATE_METHODS } from './types';

// The subscription body, validated as ABC User Feedback validates it (name, url, status, token,
// events with channelIds on feedback events only) plus iaphook's own fields.

const TOKEN = /^[A-Za-z0-9._-]{16,255}$/;
/** A token as answers show it (its last four characters): sent back, it keeps the current token. */
export const MASKED_TOKEN = /^\*{4}[A-Za-z0-9._-]{4}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// Headers the transport or the receiver's checks own; a template must not be able to forge them.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'user-agent',
  'x-webhook-token',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);
const MAX_TEMPLATE_CHARS = 64 * 1024;

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

const status = z.enum(['ACTIVE', 'INACTIVE'], { message: 'must be ACTIVE or INACTIVE' });

const eventSchema = z.object({
  type: z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }),
  status,
  channelIds: z.array(z.number().int().positive()).max(100).optional(),
});

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

const templateSchema = z
  .object({
    method: z.enum(TEMPLATE_METHODS, { message: `must be one of ${TEMPLATE_METHODS.join(', ')}` }).optional(),
    headers: z.record(z.string().regex(HEADER_NAME, 'must be a valid header name'), z.string().max(1024)).optional(),
    body: z
      .union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())], {
        message: 'must be a JSON object, an array or a text',
      })
      .optional(),
  })
  .superRefine((template, ctx) => {
    const method = template.method ?? 'POST';
    if (isBodyless(method) && template.body !== undefined) {
      const message = `a ${method} sends no body: leave body out and put {{placeholders}} in the URL's query string`;
      ctx.addIssue({ code: 'custom', path: ['body'], message });
    }
    if (!isBodyless(method) && template.body === undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `is required for ${method} (only GET and DELETE send none)` });
    }
    for (const name of Object.keys(template.headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'is set by iaphook and cannot be templated' });
      }
    }
    if ((JSON.stringify(template.body) ?? '').length > MAX_TEMPLATE_CHARS) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `must be at most ${MAX_TEMPLATE_CHARS} characters` });
    }
    const bad = [...stringsIn(template.body), ...Object.values(template.headers ?? {})].flatMap(invalidPlaceholders);
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `unknown placeholders ${bad.map((p) => `{{${p}}}`).join(', ')}: use {{event}} or {{data.…}}` });
    }
  });

const filterSchema = z
  .record(
    z.string().regex(PATH_PATTERN, 'filter keys are paths such as event or data.issue.status'),
    z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .min(1)
      .max(100),
  )
  .refine((filter) => Object.keys(filter).length <= 20, 'at most 20 paths');

export const webhookBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(255),
    url: z
      .string()
      .max(2048)
      .refine(isHttpUrl, 'must be an http or https URL without credentials')
      .superRefine((url, ctx) => {
        for (const message of urlPlaceholderProblems(url)) ctx.addIssue({ code: 'custom', message });
      }),
    status,
    token: z
      .string()
      .refine(
        (t) => TOKEN.test(t) || MASKED_TOKEN.test(t),
        'must be at least 16 characters of letters, digits, ".", "_" or "-" (or the masked value an answer shows, to keep the current token)',
      )
      .nullable()
      .optional(),
    events: z.array(eventSchema).max(EVENT_TYPES.length),
    signingSecret: z
      .string()
      .refine((s) => secretKey(s) !== null, 'must be "whsec_" followed by 24 to 64 base64-encoded bytes')
      .nullable()
      .optional(),
    retryPolicy: z.enum(['abc', 'exponential'], { message: 'must be abc or exponential' }).optional(),
    template: templateSchema.nullable().optional(),
    filter: filterSchema.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.events.forEach((event, i) => {
      if (seen.has(event.type)) ctx.addIssue({ code: 'custom', path: ['events', i, 'type'], message: `${event.type} is listed twice` });
      seen.add(event.type);
      if ((event.channelIds?.length ?? 0) > 0 && !CHANNEL_EVENT_TYPES.includes(event.type)) {
        const message = `channelIds are only allowed on ${CHANNEL_EVENT_TYPES.join(' and ')} events`;
        ctx.addIssue({ code: 'custom', path: ['events', i, 'channelIds'], message });
      }
    });
  });

export type WebhookBody = z.infer<typeof webhookBody>;

export const deliveriesQuery = z.object({
  state: z.enum(['pending', 'succeeded', 'failed', 'dead', 'paused', 'discarded']).optional(),
  cursor: z
    .string()
    .regex(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a delivery id from nextCursor')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const bulkRedeliverBody = z.object({
  since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time such as 2026-03-01T00:00:00Z' }),
  states: z
    .array(z.enum(['failed', 'dead', 'discarded']))
    .min(1)
    .optional(),
});

export const discardPausedBody = z.object({ stopPausing: z.boolean().optional() });

/** POST …/webhooks/:webhookId/test: which event type's example to send (default: the subscription's first). */
export const testEventBody = z.strictObject({ event: z.enum(EVENT_TYPES).optional() });
