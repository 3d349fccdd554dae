import path from 'node:path';
import bytes from 'bytes';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

// The only reader of process.env. Every default lives here and in .env.example.

// DATABASE_URL may carry a password.
const SECRET_KEYS = new Set(['NACHOCODE_WEBHOOK_KEYS', 'JWT_SECRET', 'DATABASE_URL', 'METRICS_TOKEN']);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolish = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const MB = 1024 * 1024;
const sizeIn = (min: number, max: number) =>
  z.string().transform((value, ctx) => {
    const parsed = bytes.parse(value);
    if (parsed === null || !Number.isFinite(parsed) || parsed < min || parsed > max) {
      ctx.addIssue({ code: 'custom', message: `expected a size between ${bytes.format(min)} and ${bytes.format(max)}, such as 256kb` });
      return z.NEVER;
    }
    return parsed;
  });
const byteSize = sizeIn(1024, 64 * MB);

// Express's `trust proxy`: false, true (any proxy: X-Forwarded-For is then the client's to write),
// the number of proxies in front, or the proxies' addresses, subnets and Express's named ranges.
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  const v = value.trim().toLowerCase();
  if (v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const bad = list.find((p) => !PROXY_RANGES.has(p) && !ipaddr.isValid(p) && !isCidr(p));
  if (list.length === 0 || bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected false, true, a number of proxies, or proxy addresses/subnets such as 10.0.0.1,loopback' });
    return z.NEVER;
  }
  return list;
});
function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

// A duration: seconds, or a number with s, m, h or d (30d).
const duration = z.string().transform((value, ctx) => {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  const seconds = match === null ? 0 : Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds < 60 || seconds > 3650 * 86400) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration from 60 s to 3650 days, such as 3600, 12h or 30d' });
    return z.NEVER;
  }
  return seconds;
});

const keyList = z.string().transform((value, ctx) => {
  const keys = value
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  const short = keys.find((k) => k.length < 16);
  if (short !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'every key must be at least 16 characters' });
    return z.NEVER;
  }
  return keys;
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intIn(0, 65535).default(3000),
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  TRUST_PROXY: trustProxy.default(false),
  DATABASE_PATH: z.string().min(1).default('./data/iaphook.db'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a PostgreSQL URL such as postgres://user:password@host:5432/iaphook')
    .optional(),
  DATABASE_POOL_SIZE: intIn(2, 1000).default(10),
  NACHOCODE_WEBHOOK_KEYS: keyList.optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_MAX_TTL: duration.default(30 * 86400),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_REQUESTS: boolish.default(true),
  BODY_LIMIT: byteSize.default(256 * 1024),
  RAW_REJECTED_MAX_COUNT: intIn(0, 10_000_000).default(10_000),
  RAW_REJECTED_MAX_AGE_DAYS: intIn(0, 3650).default(30),
  RAW_UNVERIFIED_BODY_LIMIT: sizeIn(0, 64 * MB).default(4 * 1024),
  RAW_UNVERIFIED_PER_ADDRESS: intIn(0, 1_000_000).default(100),
  RAW_UNVERIFIED_PER_HOUR: intIn(0, 10_000_000).default(10_000),
  RAW_ACCEPTED_MAX_COUNT: intIn(1000, 1_000_000_000).default(1_000_000),
  RAW_ACCEPTED_MAX_AGE_DAYS: intIn(1, 36500).default(730),
  BINS_MAX_COUNT: intIn(1, 100_000).default(100),
  BIN_MAX_AGE_DAYS: intIn(1, 3650).default(7),
  BIN_MAX_REQUESTS: intIn(1, 1_000_000).default(1000),
  BIN_MAX_BYTES: sizeIn(1024, 1024 * MB).default(10 * MB),
  WORKER_CONCURRENCY: intIn(1, 1000).default(64),
  JOB_LEASE_MS: intIn(1000, 24 * 3600 * 1000).default(30_000),
  WORKER_IDLE_POLL_MS: intIn(10, 60_000).default(1000),
  COMMIT_MAX_BATCH: intIn(1, 10_000).default(512),
  SQLITE_BUSY_TIMEOUT_MS: intIn(0, 60_000).default(2000),
  ANSWER_BUDGET_MS: intIn(50, 9000).default(2000),
  REJECTED_ANSWER_BUDGET_MS: intIn(1, 1000).default(25),
  APPLY_THREAD: boolish.default(true),
  SPOOL_DIR: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_MS: intIn(0, 120_000).default(10_000),
  OUTBOUND_ALLOW_PRIVATE: boolish.optional(),
  OUTBOUND_TIMEOUT_MS: intIn(100, 60_000).default(5000),
  OUTBOUND_CONCURRENCY: intIn(1, 1000).default(32),
  OUTBOUND_ENDPOINT_CONCURRENCY: intIn(1, 100).default(4),
  OUTBOUND_DISABLE_AFTER: intIn(1, 1000).default(5),
  OUTBOUND_DISABLE_AFTER_MS: intIn(0, 365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
  FEEDBACK_RECORD_REFUNDS: boolish.default(true),
  RECONCILE_ORPHAN_REFUND_GRACE_MS: intIn(0, 365 * 24 * 3600 * 1000).default(3_600_000),
  RECONCILE_STUCK_EVENT_AFTER_MS: intIn(1000, 365 * 24 * 3600 * 1000).default(900_000),
});

/** Every environment variable the service reads (tests strip them so a developer's shell cannot leak in). */
export const CONFIG_KEYS: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | null;
  /** SQLite at a path (the embedded default), or PostgreSQL when DATABASE_URL is set. */
  readonly database: DatabaseConfig;
  /** The data folder's anchor: generated secrets (and, for SQLite, the database) live beside it. */
  /** Express's `trust proxy`: whose X-Forwarded-For/-Proto/-Host to believe (client address, HTTPS, host). */
  readonly trustProxy: boolean | number | readonly string[];
  readonly databasePath: string;
  /** Empty when not configured: main generates one outside production. */
  readonly webhookKeys: readonly string[];
  readonly jwtSecret: string | null;
  /** JWT_MAX_TTL: a token whose lifetime is longer is refused (401). */
  readonly jwtMaxTtlSeconds: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logRequests: boolean;
  /** METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <it>`. */
  readonly metricsToken: string | null;
  readonly bodyLimitBytes: number;
  readonly retention: {
    readonly rejectedMaxCount: number;
    readonly rejectedMaxAgeDays: number;
    /** Body bytes kept of a request that failed the webhook key check (its size and SHA-256 are kept whole). */
    readonly unverifiedBodyBytes: number;
    /** Requests that failed the key check recorded per remote address and hour; the rest are answered, not kept. */
    readonly unverifiedPerAddress: number;
    /** The same, for all addresses together. */
    readonly unverifiedPerHour: number;
  };
  /** Accepted raw requests (the ledger's evidence) and capture bins: separate, generous limits. */
  readonly inspector: {
    readonly acceptedMaxCount: number;
    readonly acceptedMaxAgeDays: number;
    readonly binsMaxCount: number;
    readonly binMaxAgeDays: number;
    readonly binMaxRequests: number;
    /** Body bytes a bin keeps at most; its oldest requests go first. */
    readonly binMaxBytes: number;
  };
  readonly worker: {
    readonly concurrency: number;
    readonly leaseMs: number;
    readonly idlePollMs: number;
  };
  readonly commitMaxBatch: number;
  readonly busyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** Apply events to the ledger on a worker thread with its own connection (another core). */
  readonly applyThread: boolean;
  /** When the database cannot take an accepted webhook in time, it is synced to the spool instead. */
  readonly spool: {
    /** Longest wait for the commit before a webhook goes to the spool (nachocode gives up at 10 s). */
    readonly answerBudgetMs: number;
    /** The same for a rejected request's record: a 4xx is never held up by a busy database. */
    readonly rejectedBudgetMs: number;
    /** The spool folder: `spool` beside the database unless set. */
    readonly dir: string;
  };
  readonly outbound: {
    /** Subscriber URLs may resolve to loopback/private/internal addresses (SSRF guard off). */
    readonly allowPrivate: boolean;
    readonly timeoutMs: number;
    readonly concurrency: number;
    readonly endpointConcurrency: number;
    /** Failed or dead deliveries in a row that set a subscription INACTIVE… */
    readonly disableAfter: number;
    /** …once the first of them ended longer ago than this (a short outage never disables). */
    readonly disableAfterMs: number;
    /** Whether the default project, when first created, records applied refunds as feedback. */
    readonly recordRefunds: boolean;
  };
  readonly reconciliation: {
    /** A refund held this long without its purchase is reported as orphan_refund. */
    readonly orphanRefundGraceMs: number;
    /** An accepted event not applied after this long is reported as stuck_event. */
    readonly stuckEventAfterMs: number;
  };
}

export type DatabaseConfig =
  { readonly backend: 'sqlite'; readonly path: string } | { readonly backend: 'postgres'; readonly url: string; readonly poolSize: number };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws a ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((key) => env[key] !== undefined && env[key]?.trim() !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        // Secrets are named, never echoed: this message goes to stderr and log collectors.
        const got = SECRET_KEYS.has(key) ? '' : ` (got ${JSON.stringify(present[key])})`;
        return `${issue.path.join('.')}: ${issue.message}${got}`;
      }),
    );
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  return Object.freeze({
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    // A webhook receiver must be reachable in production; on a laptop it stays private by default.
    host: e.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    database: Object.freeze(
      e.DATABASE_URL === undefined
        ? { backend: 'sqlite' as const, path: e.DATABASE_PATH }
        : { backend: 'postgres' as const, url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    ),
    trustProxy: Array.isArray(e.TRUST_PROXY) ? Object.freeze(e.TRUST_PROXY) : e.TRUST_PROXY,
    databasePath: e.DATABASE_PATH,
    webhookKeys: Object.freeze(e.NACHOCODE_WEBHOOK_KEYS ?? []),
    jwtSecret: e.JWT_SECRET ?? null,
    jwtMaxTtlSeconds: e.JWT_MAX_TTL,
    logLevel: e.LOG_LEVEL,
    logRequests: e.LOG_REQUESTS,
    metricsToken: e.METRICS_TOKEN ?? null,
    bodyLimitBytes: e.BODY_LIMIT,
    retention: Object.freeze({
      rejectedMaxCount: e.RAW_REJECTED_MAX_COUNT,
      rejectedMaxAgeDays: e.RAW_REJECTED_MAX_AGE_DAYS,
      unverifiedBodyBytes: e.RAW_UNVERIFIED_BODY_LIMIT,
      unverifiedPerAddress: e.RAW_UNVERIFIED_PER_ADDRESS,
      unverifiedPerHour: e.RAW_UNVERIFIED_PER_HOUR,
    }),
    inspector: Object.freeze({
      acceptedMaxCount: e.RAW_ACCEPTED_MAX_COUNT,
      acceptedMaxAgeDays: e.RAW_ACCEPTED_MAX_AGE_DAYS,
      binsMaxCount: e.BINS_MAX_COUNT,
      binMaxAgeDays: e.BIN_MAX_AGE_DAYS,
      binMaxRequests: e.BIN_MAX_REQUESTS,
      binMaxBytes: e.BIN_MAX_BYTES,
    }),
    worker: Object.freeze({ concurrency: e.WORKER_CONCURRENCY, leaseMs: e.JOB_LEASE_MS, idlePollMs: e.WORKER_IDLE_POLL_MS }),
    commitMaxBatch: e.COMMIT_MAX_BATCH,
    busyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    applyThread: e.APPLY_THREAD,
    spool: Object.freeze({
      answerBudgetMs: e.ANSWER_BUDGET_MS,
      rejectedBudgetMs: e.REJECTED_ANSWER_BUDGET_MS,
      dir: e.SPOOL_DIR ?? path.join(path.dirname(e.DATABASE_PATH), 'spool'),
    }),
    outbound: Object.freeze({
      // A laptop's subscribers are local test servers; a production server must not be turned
      // into a proxy into its own network.
      allowPrivate: e.OUTBOUND_ALLOW_PRIVATE ?? !isProduction,
      timeoutMs: e.OUTBOUND_TIMEOUT_MS,
      concurrency: e.OUTBOUND_CONCURRENCY,
      endpointConcurrency: e.OUTBOUND_ENDPOINT_CONCURRENCY,
      disableAfter: e.OUTBOUND_DISABLE_AFTER,
      disableAfterMs: e.OUTBOUND_DISABLE_AFTER_MS,
      recordRefunds: e.FEEDBACK_RECORD_REFUNDS,
    }),
    reconciliation: Object.freeze({
      orphanRefundGraceMs: e.RECONCILE_ORPHAN_REFUND_GRACE_MS,
      stuckEventAfterMs: e.RECONCILE_STUCK_EVENT_AFTER_MS,
    }),
  });
}

/** In production both secrets must come from the environment; returns the missing keys. */
export function missingProductionSecrets(config: Config): string[] {
  if (!config.isProduction) return [];
  const missing: string[] = [];
  if (config.webhookKeys.length === 0) missing.push('NACHOCODE_WEBHOOK_KEYS');
  if (config.jwtSecret === null) missing.push('JWT_SECRET');
  return missing;
}
