import { refusedHost, type JobQueue } from '../delivery';
import { maskSecret } from '../http/mask';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Queryable, Storage, Tx } from '../storage/port';
import { isPaused, lockPause, resumeQueued } from './pause';
import { MASKED_TOKEN, type WebhookBody } from './schemas';
import type { Webhook } from './types';
import {
  channelIdsOf,
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listWebhooks,
  lockWebhookNames,
  projectExists,
  updateWebhook,
  webhookByName,
  type WebhookFields,
} from './webhook-repository';

/** How long the previous signing secret keeps co-signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

type Signing = Pick<Webhook, 'signingSecret' | 'previousSigningSecret' | 'previousSecretExpiresAt'>;

const NO_SIGNING: Signing = { signingSecret: null, previousSigningSecret: null, previousSecretExpiresAt: null };

/**
 * The signing fields after a create or update. Absent keeps the current secret (secrets are never
 * shown again, so a client echoing a GET must not wipe it), null removes signing, the same secret
 * changes nothing, and a new one rotates: the old secret co-signs for ROTATION_OVERLAP_MS so
 * receivers can switch without dropping a single delivery.
 */
export function nextSigning(current: Signing | null, requested: string | null | undefined, now: number): Signing {
  const kept: Signing = current === null ? NO_SIGNING : pickSigning(current);
  if (requested === undefined) return kept;
  if (requested === null) return NO_SIGNING;
  if (kept.signingSecret === requested) return kept;
  const previous = current?.signingSecret ?? null;
  return { signingSecret: requested, previousSigningSecret: previous, previousSecretExpiresAt: previous === null ? null : now + ROTATION_OVERLAP_MS };
}

function pickSigning(w: Signing): Signing {
  return { signingSecret: w.signingSecret, previousSigningSecret: w.previousSigningSecret, previousSecretExpiresAt: w.previousSecretExpiresAt };
}

/**
 * The token after a create or update. Answers show it masked, so a client that sends back what a
 * GET showed keeps the current token; a masked value that is not the current token's is refused
 * rather than stored. Absent or null removes it (PUT replaces the subscription, as in ABC).
 */
export function nextToken(current: string | null, requested: string | null | undefined): string | null {
  if (requested === undefined || requested === null) return null;
  if (!MASKED_TOKEN.test(requested)) return requested;
  if (current !== null && maskSecret(current) === requested) return current;
  const message = 'is masked and is not the current token: send the whole token, or the masked value an answer showed to keep it';
  throw new AppError('validation_failed', `token ${message}`, { fields: [{ field: 'token', message }] });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the API shows: everything but the secrets themselves. */
export function webhookView(w: Webhook, now: number) {
  const previousValid = w.previousSecretExpiresAt !== null && now < w.previousSecretExpiresAt;
  return {
    id: w.id,
    projectId: w.projectId,
    name: w.name,
    url: w.url,
    status: w.status,
    // Shown like the other secrets: enough to tell tokens apart, not enough to use one.
    token: w.token === null ? null : maskSecret(w.token),
    events: w.events,
    retryPolicy: w.retryPolicy,
    template: w.template,
    filter: w.filter,
    signing: { enabled: w.signingSecret !== null, previousSecretValidUntil: previousValid ? iso(w.previousSecretExpiresAt) : null },
    health: {
      consecutiveFailures: w.consecutiveFailures,
      failingSince: iso(w.failingSince),
      disabledReason: w.disabledReason,
      disabledAt: iso(w.disabledAt),
      // Disabled automatically: deliveries are kept (state paused) and sent once it is ACTIVE again.
      paused: isPaused(w),
    },
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

export type WebhookView = ReturnType<typeof webhookView>;

export interface WebhookServiceDeps {
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  /** Deleting a subscription removes its deliveries' jobs from the queue. */
  queue: JobQueue;
  allowPrivate: boolean;
  /** Paused deliveries were resumed: wake the outbound worker. */
  notify(): void;
  /** After a subscription was created, replaced or deleted (the entitlement audience asks again). */
  onChanged(): void;
}

/** Subscriptions of a project: ABC's CRUD with its validation, plus signing, templates, filters. */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  async list(projectId: number): Promise<WebhookView[]> {
    const db = this.deps.storage.read;
    await this.requireProject(db, projectId);
    return (await listWebhooks(db, projectId)).map((w) => webhookView(w, this.deps.clock.now()));
  }

  async get(projectId: number, id: number): Promise<WebhookView> {
    return webhookView(await this.require(this.deps.storage.read, projectId, id), this.deps.clock.now());
  }

  async create(projectId: number, body: WebhookBody): Promise<WebhookView> {
    this.checkUrl(body.url);
    const view = await this.deps.storage.write(async (tx) => {
      await lockWebhookNames(tx, projectId);
      const now = this.deps.clock.now();
      await this.requireProject(tx, projectId);
      await this.checkRefs(tx, projectId, body, null);
      return webhookView(await insertWebhook(tx, projectId, fieldsOf(body, null, now), now), now);
    });
    this.deps.onChanged();
    return view;
  }

  /** A full update; set ACTIVE, the deliveries kept while it was disabled automatically are sent. */
  async update(projectId: number, id: number, body: WebhookBody): Promise<WebhookView> {
    this.checkUrl(body.url);
    const { view, resumed } = await this.deps.storage.write(async (tx) => {
      // Also orders two updates of this webhook: the second reads (and rotates from) what the first wrote.
      await lockWebhookNames(tx, projectId);
      const now = this.deps.clock.now();
      const current = await this.require(tx, projectId, id);
      await this.checkRefs(tx, projectId, body, id);
      const updated = await updateWebhook(tx, id, fieldsOf(body, current, now), now);
      if (updated.status !== 'ACTIVE') return { view: webhookView(updated, now), resumed: 0 };
      // The row is written first, then the pause lock, in the order every transaction takes both.
      await lockPause(tx, id);
      return { view: webhookView(updated, now), resumed: await resumeQueued(tx, this.deps.queue, id, now) };
    });
    this.deps.onChanged();
    if (resumed > 0) this.deps.notify();
    return view;
  }

  async remove(projectId: number, id: number): Promise<void> {
    await this.deps.storage.write(async (tx) => {
      // Ordered with updates: an update writes the row, then the jobs (a resume); a delete the other way round.
      await lockWebhookNames(tx, projectId);
      await this.require(tx, projectId, id);
      await deleteWebhook(tx, this.deps.queue, id);
    });
    this.deps.onChanged();
  }

  private async require(db: Queryable, projectId: number, id: number): Promise<Webhook> {
    await this.requireProject(db, projectId);
    const webhook = await findWebhook(db, projectId, id);
    if (!webhook) throw new AppError('not_found', `no webhook ${id} in project ${projectId}`);
    return webhook;
  }

  private async requireProject(db: Queryable, projectId: number): Promise<void> {
    if (!(await projectExists(db, projectId))) throw new AppError('not_found', `no project ${projectId}`);
  }

  /**
   * Unique name per project, and channels that belong to the project. Called under the project's
   * name lock, so the check and the write that follows are one step for every instance: two creates
   * of one name at once answer the second with this conflict, not with the unique index's error.
   */
  private async checkRefs(tx: Tx, projectId: number, body: WebhookBody, selfId: number | null): Promise<void> {
    const sameName = await webhookByName(tx, projectId, body.name);
    if (sameName && sameName.id !== selfId) throw new AppError('conflict', `a webhook named "${body.name}" already exists in project ${projectId}`);
    const known = await channelIdsOf(tx, projectId);
    const fields = body.events.flatMap((event, i) =>
      (event.channelIds ?? [])
        .filter((c) => !known.has(c))
        .map((c) => ({ field: `events.${i}.channelIds`, message: `channel ${c} is not in project ${projectId}` })),
    );
    if (fields.length > 0) throw new AppError('validation_failed', fields.map((f) => f.message).join('; '), { fields });
  }

  /** Internal literals and local names are refused up front, by the check every connection makes too; DNS is checked at each connection. */
  private checkUrl(url: string): void {
    if (this.deps.allowPrivate) return;
    const { hostname } = new URL(url);
    if (refusedHost(hostname) !== null) {
      const message = `${hostname} is a loopback, private or otherwise internal address; outbound webhooks may not reach it`;
      throw new AppError('validation_failed', message, { fields: [{ field: 'url', message }] });
    }
  }
}

function fieldsOf(body: WebhookBody, current: Webhook | null, now: number): WebhookFields {
  return {
    name: body.name,
    url: body.url,
    status: body.status,
    token: nextToken(current?.token ?? null, body.token),
    events: body.events.map((e) => ({ type: e.type, status: e.status, channelIds: e.channelIds ?? [] })),
    ...nextSigning(current, body.signingSecret, now),
    retryPolicy: body.retryPolicy ?? 'abc',
    template: body.template ?? null,
    filter: body.filter ?? null,
  };
}
