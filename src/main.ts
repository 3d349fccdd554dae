import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, missingProductionSecrets } from './config';
import { createLogger, type Logger } from './logger';
import { buildRuntime, type Runtime } from './runtime';
import { resolveSecrets, type SecretsResolution } from './secrets';
import { keyFingerprint } from './receiver';

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** postgres://user:secret@host/db → postgres://user:***@host/db, for logs. */
function redactUrl(url: string): string {
  return url.replace(/(:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

function fail(message: string): never {
  process.stderr.write(`iaphook: ${message}\n`);
  process.exit(1);
}

function baseUrl(resolution: SecretsResolution, port: number): string {
  const { config } = resolution;
  if (config.publicUrl !== null) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return `http://${host}:${port}`;
}

/** What a developer needs to connect nachocode, printed once at start-up (never in production). */
function banner(resolution: SecretsResolution, port: number): string {
  const url = baseUrl(resolution, port);
  const lines = [
    '',
    `iaphook is listening on ${url}`,
    '',
    'Paste into the nachocode dashboard (Webhook settings):',
    `  purchase webhook URL  ${url}/webhooks/nachocode/purchase`,
    `  refund webhook URL    ${url}/webhooks/nachocode/refund`,
    `  (any event)           ${url}/webhooks/nachocode`,
    `  webhook key           ${resolution.config.webhookKeys[0]}`,
  ];
  if (resolution.generated.length > 0) {
    lines.push('', `Generated ${resolution.generated.join(' and ')} (kept in ${resolution.file}):`);
    if (resolution.generated.includes('JWT_SECRET')) lines.push(`  JWT secret            ${resolution.config.jwtSecret}`);
    lines.push('  Set them in the environment to choose your own.');
  }
  lines.push('', 'Inspector sign-in link:   npm run token -- --role admin --link', 'Admin token for the API:  npm run token -- --role admin', '');
  return lines.join('\n');
}

function installSignals(server: http.Server, runtime: Runtime, logger: Logger, timers: NodeJS.Timeout[]): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
    timers.forEach(clearInterval);
    server.close();
    server.closeIdleConnections();
    void runtime
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const missing = missingProductionSecrets(config);
  if (missing.length > 0) fail(`NODE_ENV=production needs ${missing.join(' and ')}; see .env.example`);
  const resolution = resolveSecrets(config);
  const logger = createLogger(config.logLevel);
  let runtime: Runtime;
  try {
    runtime = await buildRuntime(resolution.config, { logger, applyThread: config.applyThread });
  } catch (error) {
    fail(`cannot open the database: ${(error as Error).message}`);
  }

  // Node enforces headersTimeout and requestTimeout only when it sweeps its connections, every
  // 30 s by default: a slow-loris client would hold a socket for up to 40 s instead of 10.
  const server = http.createServer({ connectionsCheckingInterval: 1_000 }, runtime.app);
  // Bounded timeouts so slow or idle clients cannot hold sockets forever; nachocode waits 10 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    logger.info(
      {
        port,
        host: config.host,
        database: config.database.backend === 'sqlite' ? config.database.path : redactUrl(config.database.url),
        webhookKeys: resolution.config.webhookKeys.map(keyFingerprint),
        generatedSecrets: resolution.generated,
      },
      'listening',
    );
    if (!config.isProduction) process.stdout.write(`${banner(resolution, port)}\n`);
  });
  server.on('error', (error) => fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`));

  // Once per cluster: with several instances on one database, whichever fires first prunes.
  const prune = () => {
    runtime.pruneIfDue(PRUNE_EVERY_MS).then(
      (removed) => removed !== null && removed > 0 && logger.info({ removed }, 'pruned raw requests and bins past their retention'),
      (error: unknown) => logger.warn({ err: error }, 'pruning failed'),
    );
  };
  prune();
  const timers = [setInterval(prune, PRUNE_EVERY_MS).unref()];
  // Once after an upgrade (then a single query that finds nothing): older rejections get the event
  // and group newer ones are stored with, so the reconciliation report resolves and groups them too.
  runtime.identifyOldRejections().then(
    (identified) => identified > 0 && logger.info({ identified }, 'identified rejected requests stored before rejections were grouped'),
    (error: unknown) => logger.warn({ err: error }, 'identifying older rejected requests failed; the next start tries again'),
  );
  installSignals(server, runtime, logger, timers);
}

void main();
