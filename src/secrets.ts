import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from './config';

export interface ResolvedConfig extends Config {
  readonly webhookKeys: readonly string[];
  readonly jwtSecret: string;
}

export interface SecretsResolution {
  config: ResolvedConfig;
  /** Names of the secrets generated (or loaded from the data folder) rather than configured. */
  generated: Array<'NACHOCODE_WEBHOOK_KEYS' | 'JWT_SECRET'>;
  file: string;
}

interface StoredSecrets {
  webhookKey?: string;
  jwtSecret?: string;
}

export function secretsFile(config: Config): string {
  return path.join(path.dirname(path.resolve(config.databasePath)), 'secrets.json');
}

/**
 * Outside production a missing webhook key or JWT secret is generated once and kept beside the
 * database, so `npm start` works with no set-up and the key pasted into nachocode stays valid
 * across restarts. Production never gets here without both (main refuses to start).
 */
export function resolveSecrets(config: Config): SecretsResolution {
  const file = secretsFile(config);
  const stored = readStored(file);
  const generated: SecretsResolution['generated'] = [];
  let webhookKeys = config.webhookKeys;
  let jwtSecret = config.jwtSecret;
  if (webhookKeys.length === 0) {
    stored.webhookKey ??= `whk_${crypto.randomBytes(24).toString('base64url')}`;
    webhookKeys = [stored.webhookKey];
    generated.push('NACHOCODE_WEBHOOK_KEYS');
  }
  if (jwtSecret === null) {
    stored.jwtSecret ??= crypto.randomBytes(48).toString('base64url');
    jwtSecret = stored.jwtSecret;
    generated.push('JWT_SECRET');
  }
  if (generated.length > 0) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename so a crash never leaves half a file; chmod because mode only applies on create.
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
  }
  return { config: Object.freeze({ ...config, webhookKeys, jwtSecret }), generated, file };
}

const storedSchema = z.object({
  webhookKey: z.string().min(16).optional(),
  jwtSecret: z.string().min(32).optional(),
});

function readStored(file: string): StoredSecrets {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: ReturnType<typeof storedSchema.safeParse>;
  try {
    parsed = storedSchema.safeParse(JSON.parse(text));
  } catch (error) {
    throw new Error(`${file} is not valid JSON; fix or delete it to generate new secrets`, { cause: error });
  }
  if (!parsed.success) throw new Error(`${file} has invalid secrets (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}); fix or delete it`);
  return parsed.data;
}
