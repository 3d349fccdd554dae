import bytes from 'bytes';
import { z } from 'zod';

// The only reader of process.env. Every default lives here and in .env.example.

const SECRET_KEYS = new Set(['NACHOCODE_WEBHOOK_KEYS', 'JWT_SECRET']);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const byteSize = z.string().transform((value, ctx) => {
  const parsed = bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed < 1024 || parsed > 64 * 1024 * 1024) {
    ctx.addIssue({ code: 'custom', message: 'expected a size between 1kb and 64mb, such as 256kb' });
    return z.NEVER;
  }
  return parsed;
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
  DATABASE_PATH: z.string().min(1).default('./data/iaphook.db'),
  NACHOCODE_WEBHOOK_KEYS: keyList.optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_REQUESTS: boolish.default(true),
  BODY_LIMIT: byteSize.default(256 * 1024),
  RAW_REJECTED_MAX_COUNT: intIn(0, 10_000_000).default(10_000),
  RAW_REJECTED_MAX_AGE_DAYS: intIn(0, 3650).default(30),
  WORKER_CONCURRENCY: intIn(1, 1000).default(64),
  JOB_LEASE_MS: intIn(1000, 24 * 3600 * 1000).default(30_000),
  WORKER_IDLE_POLL_MS: intIn(10, 60_000).default(1000),
  COMMIT_MAX_BATCH: intIn(1, 10_000).default(512),
  SQLITE_BUSY_TIMEOUT_MS: intIn(0, 60_000).default(2000),
  SHUTDOWN_TIMEOUT_MS: intIn(0, 120_000).default(10_000),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | null;
  readonly databasePath: string;
  /** Empty when not configured: main generates one outside production. */
  readonly webhookKeys: readonly string[];
  readonly jwtSecret: string | null;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logRequests: boolean;
  readonly bodyLimitBytes: number;
  readonly retention: { readonly rejectedMaxCount: number; readonly rejectedMaxAgeDays: number };
  readonly worker: {
    readonly concurrency: number;
    readonly leaseMs: number;
    readonly idlePollMs: number;
  };
  readonly commitMaxBatch: number;
  readonly busyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

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
    databasePath: e.DATABASE_PATH,
    webhookKeys: Object.freeze(e.NACHOCODE_WEBHOOK_KEYS ?? []),
    jwtSecret: e.JWT_SECRET ?? null,
    logLevel: e.LOG_LEVEL,
    logRequests: e.LOG_REQUESTS,
    bodyLimitBytes: e.BODY_LIMIT,
    retention: Object.freeze({ rejectedMaxCount: e.RAW_REJECTED_MAX_COUNT, rejectedMaxAgeDays: e.RAW_REJECTED_MAX_AGE_DAYS }),
    worker: Object.freeze({ concurrency: e.WORKER_CONCURRENCY, leaseMs: e.JOB_LEASE_MS, idlePollMs: e.WORKER_IDLE_POLL_MS }),
    commitMaxBatch: e.COMMIT_MAX_BATCH,
    busyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
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
