import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/** The exact body bytes. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

// The PostgreSQL twin of storage/sqlite/schema.ts: the same tables, columns and indexes, so the
// same portable SQL runs on both. Times are bigint milliseconds since the epoch (as on SQLite:
// cheap to compare in the claim, free of time-zone parsing); ids are bigint identities; the raw
// body is bytea. JSON stays text, as written, so both backends keep the exact bytes they were given.

/** Every request to /webhooks/* (and later /bins/*), accepted or not, exactly as received. */
export const rawRequests = pgTable(
  'raw_requests',
  {
    id: text('id').primaryKey(),
    receivedAt: bigint('received_at', { mode: 'number' }).notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    query: text('query'),
    /** JSON object of header name → value, secrets masked. */
    headers: text('headers').notNull(),
    /** The exact body bytes, so a replay sends what the sender sent. */
    body: bytea('body'),
    bodySize: integer('body_size').notNull(),
    /** Set when only the first bytes of the body are kept (a request that failed the key check): the SHA-256 of all of it. */
    bodySha256: text('body_sha256'),
    contentType: text('content_type'),
    remoteAddr: text('remote_addr'),
    requestId: text('request_id'),
    /** Which configured key matched (a fingerprint, never the key), for rotations. */
    keyFingerprint: text('key_fingerprint'),
    status: integer('status').notNull(),
    /** stored | duplicate | conflict | rejected | captured (a capture bin's request) */
    outcome: text('outcome').notNull(),
    /** The error code of a rejection or conflict, null when stored. */
    reason: text('reason'),
    /** JSON of the answer body we sent. */
    response: text('response'),
    durationMs: doublePrecision('duration_ms'),
    eventId: text('event_id'),
    /** webhook | replay | import | bin */
    source: text('source').notNull().default('webhook'),
    /** Set for requests captured by a capture bin (/bins/:binId). */
    binId: text('bin_id'),
    /**
     * A rejected request whose body names its event: that event's dedupe key (as the receiver
     * computes it), so reconciliation can tell when the event was stored after all.
     */
    dedupeKey: text('dedupe_key'),
    /** A rejected request: the hash that near-identical rejections share (route, reason, event or body). */
    rejectionGroup: text('rejection_group'),
  },
  (t) => [
    index('raw_requests_received_at').on(t.receivedAt),
    // Partial: most requests are webhooks, in no bin and never rejected, and such rows would only
    // add an entry (a B-tree insert per request) that no query reads.
    index('raw_requests_bin')
      .on(t.binId, t.receivedAt)
      .where(sql`bin_id IS NOT NULL`),
    index('raw_requests_outcome_received_at').on(t.outcome, t.receivedAt),
    index('raw_requests_rejection_group')
      .on(t.rejectionGroup)
      .where(sql`rejection_group IS NOT NULL`),
    index('raw_requests_event_id').on(t.eventId),
  ],
);

/** One row per distinct nachocode event; the dedupe key makes a repeat a no-op. */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    /** purchase | refund | unavailable_users */
    type: text('type').notNull(),
    environment: text('environment'),
    dedupeKey: text('dedupe_key').notNull(),
    contentHash: text('content_hash').notNull(),
    /** The parsed body as JSON, unknown fields included. */
    payload: text('payload').notNull(),
    userId: text('user_id'),
    productId: text('product_id'),
    iapLogId: bigint('iap_log_id', { mode: 'number' }),
    /** received | held | applied | failed | dead */
    status: text('status').notNull().default('received'),
    error: text('error'),
    /** Why a held event waits, as JSON: {"reason":"awaiting_purchase"} or {"reason":"unknown_value","values":[{field,value}]}. */
    heldFor: text('held_for'),
    rawRequestId: text('raw_request_id'),
    /** webhook | replay | import */
    source: text('source').notNull().default('webhook'),
    receivedAt: bigint('received_at', { mode: 'number' }).notNull(),
    appliedAt: bigint('applied_at', { mode: 'number' }),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('events_dedupe_key').on(t.dedupeKey),
    index('events_status').on(t.status, t.receivedAt),
    index('events_user').on(t.userId, t.environment),
    index('events_iap_log').on(t.environment, t.iapLogId),
  ],
);

/** The delivery core's durable queue: inbound processing and outbound webhooks alike. */
export const jobs = pgTable(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    kind: text('kind').notNull(),
    payload: text('payload').notNull(),
    /** pending | running | succeeded | dead | paused (never claimed until unparked) */
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    /** JSON of the RetryPolicy, fixed when enqueued so a config change does not rewrite old schedules. */
    policy: text('policy').notNull(),
    runAt: bigint('run_at', { mode: 'number' }).notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: bigint('locked_until', { mode: 'number' }),
    lastError: text('last_error'),
    /** Jobs sharing a key (an endpoint, say) can be capped together. */
    concurrencyKey: text('concurrency_key'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
    finishedAt: bigint('finished_at', { mode: 'number' }),
  },
  (t) => [
    // Partial, on the live states only, and what each serves: see the SQLite schema.
    index('jobs_pending_kind_due')
      .on(t.kind, t.runAt)
      .where(sql`state = 'pending'`),
    index('jobs_pending_key_due')
      .on(t.concurrencyKey, t.kind, t.runAt)
      .where(sql`state = 'pending'`),
    index('jobs_running_lease')
      .on(t.lockedUntil)
      .where(sql`state = 'running'`),
    index('jobs_paused_key')
      .on(t.concurrencyKey)
      .where(sql`state = 'paused'`),
    // Dead jobs by kind, for the dead-letter gauge: few (a job enters it only when its retries
    // run out), and without it counting them read every finished job in the table.
    index('jobs_dead_kind')
      .on(t.kind)
      .where(sql`state = 'dead'`),
  ],
);

/** One row per attempt of a job: the attempt log. */
export const jobAttempts = pgTable(
  'job_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    startedAt: bigint('started_at', { mode: 'number' }).notNull(),
    finishedAt: bigint('finished_at', { mode: 'number' }).notNull(),
    /** succeeded | failed */
    outcome: text('outcome').notNull(),
    errorClass: text('error_class'),
    errorMessage: text('error_message'),
    statusCode: integer('status_code'),
    latencyMs: doublePrecision('latency_ms'),
    responseSnippet: text('response_snippet'),
  },
  (t) => [index('job_attempts_job').on(t.jobId, t.attempt)],
);

/** One row per purchase (environment + iapLogId): what was bought and how much came back. */
export const purchases = pgTable(
  'purchases',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    environment: text('environment').notNull(),
    iapLogId: bigint('iap_log_id', { mode: 'number' }).notNull(),
    eventId: text('event_id').notNull(),
    userId: text('user_id').notNull(),
    productId: text('product_id').notNull(),
    nachoProductId: text('nacho_product_id'),
    productType: text('product_type').notNull(),
    os: text('os'),
    quantity: integer('quantity').notNull(),
    refundedQuantity: integer('refunded_quantity').notNull().default(0),
    price: doublePrecision('price'),
    /** The store's transaction id (iOS transactionId, Google orderId), for duplicate checks. */
    transactionId: text('transaction_id'),
    purchasedAt: bigint('purchased_at', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    // No index by user: no query reads purchases by user (entitlements come from ledger_entries).
    // One that led with environment (environment, user_id) was chosen by PostgreSQL for the
    // lookup by iap_log_id in plans cached while the table was small, reading every purchase of
    // the environment on each apply.
    uniqueIndex('purchases_env_iap_log').on(t.environment, t.iapLogId),
    index('purchases_transaction').on(t.transactionId),
  ],
);

/** Append-only entitlement ledger. entry_key makes every entry unique per cause. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    entryKey: text('entry_key').notNull(),
    eventId: text('event_id'),
    environment: text('environment').notNull(),
    userId: text('user_id').notNull(),
    productId: text('product_id').notNull(),
    nachoProductId: text('nacho_product_id'),
    productType: text('product_type').notNull(),
    iapLogId: bigint('iap_log_id', { mode: 'number' }),
    /** grant | revoke | consume */
    kind: text('kind').notNull(),
    quantity: integer('quantity').notNull(),
    amount: doublePrecision('amount'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('ledger_entries_entry_key').on(t.entryKey),
    index('ledger_entries_user').on(t.environment, t.userId, t.productId),
    index('ledger_entries_event').on(t.eventId),
  ],
);

/** Things that look wrong, found while applying events; the reconciliation report reads them. */
export const anomalies = pgTable(
  'anomalies',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    /** Unique per cause so re-detecting the same problem adds nothing. */
    anomalyKey: text('anomaly_key').notNull(),
    code: text('code').notNull(),
    environment: text('environment'),
    userId: text('user_id'),
    productId: text('product_id'),
    eventId: text('event_id'),
    rawRequestId: text('raw_request_id'),
    details: text('details').notNull().default('{}'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('anomalies_key').on(t.anomalyKey), index('anomalies_code').on(t.code, t.createdAt)],
);

/** An admin's word that an anomaly was looked at: the report lists it only when asked to. */
export const anomalyAcknowledgements = pgTable('anomaly_acknowledgements', {
  /** The report's anomaly id (stable across report runs). */
  anomalyId: text('anomaly_id').primaryKey(),
  code: text('code').notNull(),
  /** The admin token's subject. */
  acknowledgedBy: text('acknowledged_by').notNull(),
  reason: text('reason').notNull(),
  acknowledgedAt: bigint('acknowledged_at', { mode: 'number' }).notNull(),
});

/** What an enumerated field's value that iaphook does not know means (productType "subscription" → non-consumable). */
export const valueMappings = pgTable(
  'value_mappings',
  {
    field: text('field').notNull(),
    value: text('value').notNull(),
    meaning: text('meaning').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.field, t.value] })],
);

/** Users nachocode reports as unreachable for push (token not found or invalid). */
export const unavailableUsers = pgTable(
  'unavailable_users',
  {
    userId: text('user_id').notNull(),
    /** token_not_found | token_invalid */
    reason: text('reason').notNull(),
    lastEventId: text('last_event_id').notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('unavailable_users_user_reason').on(t.userId, t.reason)],
);

/** Small key/value store: generated secrets' fingerprints, schema facts, heartbeats. */
export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: bigint('updated_at', { mode: 'number' })
    .notNull()
    .default(sql`0`),
});

/** Admin tokens ended by signing out: refused until they would have expired anyway (then pruned). */
export const revokedTokens = pgTable('revoked_tokens', {
  /** SHA-256 (hex) of the token: the table never holds a usable credential. */
  tokenHash: text('token_hash').primaryKey(),
  expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  revokedAt: bigint('revoked_at', { mode: 'number' }).notNull(),
});

/** Capture bins: URLs that record anything sent to them and answer as configured. */
export const bins = pgTable('bins', {
  id: text('id').primaryKey(),
  name: text('name'),
  /** The status code the bin answers with. */
  status: integer('status').notNull().default(200),
  body: text('body'),
  contentType: text('content_type'),
  delayMs: integer('delay_ms').notNull().default(0),
  /** Store secret-looking headers and query parameters masked (false: as sent, to check a signature). */
  maskSecrets: boolean('mask_secrets').notNull().default(true),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  lastRequestAt: bigint('last_request_at', { mode: 'number' }),
});

// ---------------------------------------------------------------------------------------------
// Feedback domain (ABC User Feedback style) and outbound webhooks. Integer ids like ABC's, so the
// payloads subscribers get have the same types as ABC's own.

/** A product or app whose feedback is collected. */
export const projects = pgTable(
  'projects',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    name: text('name').notNull(),
    /** Record every applied refund as feedback in this project's "Refunds" channel. */
    recordRefunds: boolean('record_refunds').notNull().default(false),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('projects_name').on(t.name)],
);

/** Where feedback comes from (a web form, an app screen, refunds). */
export const channels = pgTable(
  'channels',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /**
     * JSON array of the fields its feedback carries ({ key, type, required, options?, email? }, see
     * src/feedback/fields.ts). The default is message and userEmail, what every channel had before
     * channels declared fields: the migration gives it to existing channels.
     */
    fields: text('fields')
      .notNull()
      .default('[{"key":"message","type":"text","required":true},{"key":"userEmail","type":"keyword","required":false,"email":true}]'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('channels_project_name').on(t.projectId, t.name)],
);

/** Issues group feedback; statuses INIT, ON_REVIEW, IN_PROGRESS, RESOLVED, PENDING. */
export const issues = pgTable(
  'issues',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status').notNull().default('INIT'),
    externalIssueId: text('external_issue_id'),
    /** Maintained with every link, so payloads need no count query. */
    feedbackCount: integer('feedback_count').notNull().default(0),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('issues_project_name').on(t.projectId, t.name)],
);

export const feedbacks = pgTable(
  'feedbacks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    channelId: bigint('channel_id', { mode: 'number' })
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    /** Copies of the message and userEmail values for readers of the table ('' / null when there are none); see data. */
    message: text('message').notNull(),
    userEmail: text('user_email'),
    /** Rows from before channel fields: JSON object of extra values beside message (a refund's user, product, quantity). */
    fields: text('fields'),
    /** JSON object of every field value, as ABC's feedback.data; null on rows from before channel fields (then message, user_email and fields hold them). */
    data: text('data'),
    /** Unique cause of a generated feedback (refund:<eventId>), so replays add nothing. */
    sourceKey: text('source_key'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('feedbacks_channel').on(t.channelId, t.createdAt), uniqueIndex('feedbacks_source_key').on(t.sourceKey)],
);

export const feedbackIssues = pgTable(
  'feedback_issues',
  {
    feedbackId: bigint('feedback_id', { mode: 'number' })
      .notNull()
      .references(() => feedbacks.id, { onDelete: 'cascade' }),
    issueId: bigint('issue_id', { mode: 'number' })
      .notNull()
      .references(() => issues.id, { onDelete: 'cascade' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.feedbackId, t.issueId] }), index('feedback_issues_issue').on(t.issueId)],
);

/** A subscription: which events of a project go to which URL, and how. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    url: text('url').notNull(),
    /** ACTIVE | INACTIVE */
    status: text('status').notNull().default('ACTIVE'),
    token: text('token'),
    /** JSON array of { type, status, channelIds }. */
    events: text('events').notNull(),
    signingSecret: text('signing_secret'),
    /** After a rotation the old secret co-signs until previous_secret_expires_at. */
    previousSigningSecret: text('previous_signing_secret'),
    previousSecretExpiresAt: bigint('previous_secret_expires_at', { mode: 'number' }),
    /** abc | exponential */
    retryPolicy: text('retry_policy').notNull().default('abc'),
    /** JSON { method, headers, body } or null. */
    template: text('template'),
    /** JSON { path: [allowed values] } or null. */
    filter: text('filter'),
    /** Deliveries that ended failed or dead in a row; a success resets it. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** When the first of those failures ended (null after a success): auto-disable waits for a long run. */
    failingSince: bigint('failing_since', { mode: 'number' }),
    disabledReason: text('disabled_reason'),
    disabledAt: bigint('disabled_at', { mode: 'number' }),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('webhooks_project_name').on(t.projectId, t.name)],
);

/** The outbox: one row per emitted event, written in the transaction of the change. */
export const outboundEvents = pgTable(
  'outbound_events',
  {
    /** msg_…: the Standard Webhooks webhook-id, the same on every attempt and redelivery. */
    id: text('id').primaryKey(),
    projectId: bigint('project_id', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    /** JSON of the envelope's data. */
    data: text('data').notNull(),
    /** A test event (POST …/webhooks/:id/test): sent with x-iaphook-test: true, to that subscription only. */
    isTest: boolean('is_test').notNull().default(false),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('outbound_events_project').on(t.projectId, t.createdAt)],
);

/** One event for one subscription, delivered by one job of the delivery core (attempts: job_attempts). */
export const deliveries = pgTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: bigint('webhook_id', { mode: 'number' })
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: text('event_id')
      .notNull()
      .references(() => outboundEvents.id),
    jobId: bigint('job_id', { mode: 'number' }).notNull(),
    /** pending | succeeded | failed (refused, not retried) | dead (retries exhausted) | paused (its subscription was disabled automatically) | discarded */
    state: text('state').notNull().default('pending'),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('deliveries_webhook').on(t.webhookId, t.id),
    index('deliveries_webhook_state').on(t.webhookId, t.state, t.createdAt),
    uniqueIndex('deliveries_job').on(t.jobId),
  ],
);
