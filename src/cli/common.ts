import { Command, InvalidArgumentError, Option } from 'commander';
import { request } from 'undici';
import { ConfigError, loadConfig, missingProductionSecrets, type Config } from '../config';
import { signToken } from '../http/tokens';
import { OUTCOMES, type InspectorOutcome } from '../inspector/filters';
import { resolveSecrets, type ResolvedConfig } from '../secrets';

// What several commands share: reading the configuration, finding the server and an admin token.

/** The configuration, or the command's error naming what is wrong with it. */
export function cliConfig(command: Command): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message);
    throw error;
  }
}

/** The secrets this machine's iaphook uses (configured, or generated in the data folder). */
export function localSecrets(command: Command, config: Config): ResolvedConfig {
  const missing = missingProductionSecrets(config);
  if (missing.length > 0) command.error(`NODE_ENV=production needs ${missing.join(' and ')}`);
  try {
    return resolveSecrets(config).config;
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message);
    throw error;
  }
}

export function httpUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected an http(s) URL');
}

export const urlOption = () => new Option('--url <url>', 'where iaphook runs (default: http://127.0.0.1:$PORT)').argParser(httpUrl);
export const tokenOption = () => new Option('--token <jwt>', "admin token (default: one signed with this machine's JWT_SECRET)").env('IAPHOOK_TOKEN');

export interface ServerTarget {
  base: string;
  token: string;
}

/**
 * The server a command talks to and the admin token it uses: --token when given, else a short
 * token signed with the local JWT_SECRET (which only works against a server sharing that secret).
 */
export function serverTarget(command: Command, options: { url?: string; token?: string }, sub: string): ServerTarget {
  const config = cliConfig(command);
  const base = options.url ?? `http://127.0.0.1:${config.port}`;
  if (options.token !== undefined) return { base, token: options.token };
  const { jwtSecret } = localSecrets(command, config);
  return { base, token: signToken(jwtSecret, { role: 'admin', sub, expiresInSeconds: 3600 }) };
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export class ApiUnreachable extends Error {}

/** One JSON call to the admin API; an unreachable server is an ApiUnreachable naming it. */
export async function api<T>(target: ServerTarget, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  let res;
  try {
    res = await request(`${target.base}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiUnreachable(`no answer from ${target.base} (${(error as Error).message}). Is iaphook running? Start it with: npm start`);
  }
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.statusCode, body: parsed as T };
}

/** The message of an error answer ({"error":{"message"}}), or the answer itself. */
export function errorMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body);
}

/** A date (2026-03-01, the start of that UTC day) or an ISO date-time, as epoch ms. */
export function dateOption(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new InvalidArgumentError('expected a date (2026-03-01) or an ISO date-time');
  return ms;
}

/** `--outcome stored,duplicate`: a comma list of the inspector's outcomes. */
export function outcomesOption(value: string): InspectorOutcome[] {
  const list = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  const bad = list.find((v) => !(OUTCOMES as readonly string[]).includes(v));
  if (list.length === 0 || bad !== undefined) throw new InvalidArgumentError(`expected a comma list of ${OUTCOMES.join(', ')}`);
  return list as InspectorOutcome[];
}
