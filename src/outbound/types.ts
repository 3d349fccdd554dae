/** The four events of ABC User Feedback, with its names. */
export const ABC_EVENT_TYPES = ['FEEDBACK_CREATION', 'ISSUE_CREATION', 'ISSUE_STATUS_CHANGE', 'ISSUE_ADDITION'] as const;
/** iaphook's own event for app backends: an applied purchase, refund or consumption moved an entitlement. */
export const ENTITLEMENT_UPDATED = 'entitlement.updated';
export const EVENT_TYPES = [...ABC_EVENT_TYPES, ENTITLEMENT_UPDATED] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Events that happen in a channel, so a subscription may limit them to some channels (as ABC). */
export const CHANNEL_EVENT_TYPES: readonly EventType[] = ['FEEDBACK_CREATION', 'ISSUE_ADDITION'];

export const ISSUE_STATUSES = ['INIT', 'ON_REVIEW', 'IN_PROGRESS', 'RESOLVED', 'PENDING'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

export type ActiveStatus = 'ACTIVE' | 'INACTIVE';
export type RetryPolicyName = 'abc' | 'exponential';
/**
 * paused: kept while its subscription is disabled automatically, sent when it is ACTIVE again;
 * discarded: a paused delivery an admin chose not to send.
 */
export type DeliveryState = 'pending' | 'succeeded' | 'failed' | 'dead' | 'paused' | 'discarded';

export interface SubscribedEvent {
  type: EventType;
  status: ActiveStatus;
  /** Feedback events only; empty means every channel. */
  channelIds: number[];
}

/** The methods a template may use (Freshservice-style workflow webhooks offer these five). */
export const TEMPLATE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type TemplateMethod = (typeof TEMPLATE_METHODS)[number];
/** Sent without a body: what they carry goes in the URL's query string. */
export const BODYLESS_METHODS: readonly TemplateMethod[] = ['GET', 'DELETE'];

export interface Template {
  method?: TemplateMethod;
  headers?: Record<string, string>;
  /** A JSON value whose strings may hold {{placeholders}}, or a text with them; absent for GET and DELETE. */
  body?: unknown;
}

/** Path (event, data.issue.status…) → the values it may have; every path must match. */
export type Filter = Record<string, Array<string | number | boolean | null>>;

/** The fields a create or a full update writes. */
export interface WebhookFields {
  name: string;
  url: string;
  status: ActiveStatus;
  token: string | null;
  events: SubscribedEvent[];
  signingSecret: string | null;
  previousSigningSecret: string | null;
  previousSecretExpiresAt: number | null;
  retryPolicy: RetryPolicyName;
  template: Template | null;
  filter: Filter | null;
}

export interface Webhook extends WebhookFields {
  id: number;
  projectId: number;
  consecutiveFailures: number;
  /** When the first of the failures in a row ended; null when the last delivery succeeded. */
  failingSince: number | null;
  /** Set only when iaphook disabled the subscription itself (see pause.ts); an admin's INACTIVE leaves it null. */
  disabledReason: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * An event as stored and as templates and filters see it (`event`, `data.…`). ABC's events are
 * sent as it is; entitlement.updated in the Standard Webhooks shape (see wireBody).
 */
export interface Envelope {
  event: EventType;
  data: Record<string, unknown>;
}

/** What a change hands to emit: the event, its project, and its channel for channel filters. */
export interface EmitInput {
  projectId: number;
  channelId?: number | null;
  envelope: Envelope;
}

export const DELIVER_WEBHOOK_JOB = 'deliver-webhook';

/** The concurrency key of a subscription's jobs: the per-endpoint cap of the claim counts by it, and parking goes by it. */
export const endpointKey = (webhookId: number): string => `webhook:${webhookId}`;

export interface DeliverJobPayload {
  deliveryId: string;
}
