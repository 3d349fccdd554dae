import { performance } from 'node:perf_hooks';
import { MultiBar, Presets } from 'cli-progress';
import { CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../src/config';
import { resolveSecrets } from '../src/secrets';
import { parseSendArgs, type SendArgs } from '../src/inspector/sender/cli';
import { iapLogIdFactory, planUnit } from '../src/inspector/sender/payloads';
import { defaultUrlFor, formatResult, formatSummary, sendUnits, summarize } from '../src/inspector/sender/send';

// `npm run send -- purchase|refund|unavailable-users [options]`: see --help.

function fail(message: string): never {
  process.stderr.write(`send: ${message}\n`);
  process.exit(1);
}

/** The port and key iaphook itself uses, so `npm start` and `npm run send -- purchase` just work. */
function serverDefaults(args: SendArgs): { port: number; key: string } {
  const config = loadConfig();
  if (args.key !== null) return { port: config.port, key: args.key };
  if (config.webhookKeys.length > 0) return { port: config.port, key: config.webhookKeys[0] };
  if (config.isProduction) fail('NODE_ENV=production and no NACHOCODE_WEBHOOK_KEYS: pass --key');
  return { port: config.port, key: resolveSecrets(config).config.webhookKeys[0] };
}

async function main(): Promise<void> {
  let args: SendArgs;
  try {
    args = parseSendArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    throw error;
  }
  let defaults: { port: number; key: string };
  try {
    defaults = serverDefaults(args);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const context = { now: Date.now(), random: Math.random };
  const nextId = iapLogIdFactory(context);
  const units = Array.from({ length: args.count }, (_, seq) => planUnit(args.kind, args.options, seq, nextId, context));
  const total = units.reduce((n, unit) => n + unit.length, 0);
  const urlFor = args.url === null ? defaultUrlFor(defaults.port) : () => args.url as string;

  // A progress bar only for a batch on a terminal; lines are printed above it as answers come.
  const bars = args.count > 1 && process.stdout.isTTY ? new MultiBar({ clearOnComplete: true, hideCursor: true }, Presets.shades_classic) : null;
  const bar = bars?.create(total, 0);
  const print = (line: string) => (bars === null ? process.stdout.write(`${line}\n`) : bars.log(`${line}\n`));

  const targets = [...new Set(units.flat().map((item) => urlFor(item.route)))];
  print(`sending ${total} request${total === 1 ? '' : 's'} to ${targets.join(' and ')}`);
  const started = performance.now();
  const results = await sendUnits(units, {
    urlFor,
    key: defaults.key,
    concurrency: args.concurrency,
    onResult: (result) => {
      print(formatResult(result));
      bar?.increment();
    },
  });
  bars?.stop();
  if (args.count > 1) process.stdout.write(`${formatSummary(summarize(results, performance.now() - started))}\n`);
  const refused = results.find((r) => r.status === null);
  if (refused !== undefined && args.url === null) {
    process.stderr.write(`send: no answer from ${refused.url} (${refused.answer}). Is iaphook running? Start it with: npm start\n`);
  }
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

void main();
