import { performance } from 'node:perf_hooks';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { sendArgsOf, sendCommand as sendCommandLine, type SendArgs } from '../inspector/sender/cli';
import { iapLogIdFactory, planUnit, type PlannedRequest } from '../inspector/sender/payloads';
import { defaultUrlFor, formatResult, urlForTarget, formatSummary, sendUnits, summarize, type SendResult } from '../inspector/sender/send';
import { resolveSecrets } from '../secrets';
import { api, ApiUnreachable, errorMessage, serverTarget } from './common';

// `iaphook send`: samples, documented examples or your own body to a webhook route, or a
// subscription's test event (--test-webhook), which the server sends through its delivery core.

function fail(message: string): never {
  process.stderr.write(`send: ${message}\n`);
  process.exit(1);
}

/** The port and key iaphook itself uses, so `npm start` and `iaphook send purchase` just work. */
function serverDefaults(args: SendArgs): { port: number; key: string } {
  const config = loadConfig();
  if (args.key !== null) return { port: config.port, key: args.key };
  if (config.webhookKeys.length > 0) return { port: config.port, key: config.webhookKeys[0] };
  if (config.isProduction) fail('NODE_ENV=production and no NACHOCODE_WEBHOOK_KEYS: pass --key');
  return { port: config.port, key: resolveSecrets(config).config.webhookKeys[0] };
}

function plan(args: SendArgs): PlannedRequest[][] {
  if (args.body !== null) {
    const unit: PlannedRequest = { route: args.kind ?? 'auto', body: null, rawBody: args.body, label: args.bodyLabel ?? 'data' };
    return Array.from({ length: args.count }, () => [unit]);
  }
  const context = { now: Date.now(), random: Math.random };
  const nextId = iapLogIdFactory(context);
  return Array.from({ length: args.count }, (_, seq) => planUnit(args.kind!, args.options, seq, nextId, context));
}

/** A result as --json prints it: the answer parsed when it is JSON. */
function jsonLine(result: SendResult): string {
  let answer: unknown = result.answer;
  try {
    answer = JSON.parse(result.answer);
  } catch {
    // kept as text (an error message, or a cut answer)
  }
  return JSON.stringify({
    label: result.label,
    url: result.url,
    status: result.status,
    latencyMs: Math.round(result.latencyMs * 10) / 10,
    ok: result.ok,
    answer,
  });
}

async function sendRequests(args: SendArgs): Promise<void> {
  let defaults: { port: number; key: string };
  try {
    defaults = serverDefaults(args);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const units = plan(args);
  const total = units.reduce((n, unit) => n + unit.length, 0);
  const urlFor = args.url === null ? defaultUrlFor(defaults.port) : urlForTarget(args.url);

  // A progress bar only for a batch of text lines on a terminal; lines are printed above it as answers come.
  const text = !args.quiet && !args.json;
  const bars = text && args.count > 1 && process.stdout.isTTY ? new MultiBar({ clearOnComplete: true, hideCursor: true }, Presets.shades_classic) : null;
  const bar = bars?.create(total, 0);
  const print = (line: string) => (bars === null ? process.stdout.write(`${line}\n`) : bars.log(`${line}\n`));

  const targets = [...new Set(units.flat().map((item) => urlFor(item.route)))];
  if (text) print(`sending ${total} request${total === 1 ? '' : 's'} to ${targets.join(' and ')}`);
  const started = performance.now();
  const results = await sendUnits(units, {
    urlFor,
    key: defaults.key,
    concurrency: args.concurrency,
    onResult: (result) => {
      if (args.json) print(jsonLine(result));
      else if (text) print(formatResult(result));
      else if (!result.ok) process.stderr.write(`${formatResult(result)}\n`);
      bar?.increment();
    },
  });
  bars?.stop();
  if (text && args.count > 1) process.stdout.write(`${formatSummary(summarize(results, performance.now() - started))}\n`);
  const refused = results.find((r) => r.status === null);
  if (refused !== undefined && args.url === null) {
    process.stderr.write(`send: no answer from ${refused.url} (${refused.answer}). Is iaphook running? Start it with: npm start\n`);
  }
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

interface TestAnswer {
  eventId: string;
  deliveryId: string;
  event: string;
  webhookId: number;
  projectId: number;
}

/** The project holding a subscription: webhook ids are unique across projects. */
async function projectOf(target: Parameters<typeof api>[0], webhookId: number): Promise<number> {
  const projects = await api<{ projects?: Array<{ id: number }> }>(target, 'GET', '/api/projects');
  if (projects.status !== 200) fail(`listing projects failed (${projects.status}): ${errorMessage(projects.body)}`);
  for (const project of projects.body.projects ?? []) {
    const hooks = await api<{ webhooks?: Array<{ id: number }> }>(target, 'GET', `/api/projects/${project.id}/webhooks`);
    if (hooks.body.webhooks?.some((w) => w.id === webhookId)) return project.id;
  }
  return fail(`no subscription ${webhookId} in any project`);
}

async function sendTestEvent(command: Command, args: SendArgs): Promise<void> {
  const target = serverTarget(command, { url: args.serverUrl ?? undefined, token: args.token ?? undefined }, 'send-cli');
  const webhookId = args.testWebhook!;
  try {
    const projectId = args.project ?? (await projectOf(target, webhookId));
    const res = await api<TestAnswer>(target, 'POST', `/api/projects/${projectId}/webhooks/${webhookId}/test`, {});
    if (res.status !== 202) fail(`test event refused (${res.status}): ${errorMessage(res.body)}`);
    const deliveries = `${target.base}/api/projects/${projectId}/webhooks/${webhookId}/deliveries`;
    if (args.json) process.stdout.write(`${JSON.stringify(res.body)}\n`);
    else if (!args.quiet) {
      process.stdout.write(
        `queued a test ${res.body.event} for subscription ${webhookId} as delivery ${res.body.deliveryId}; its attempts: GET ${deliveries}\n`,
      );
    }
  } catch (error) {
    if (error instanceof ApiUnreachable) fail(error.message);
    throw error;
  }
}

export function sendCommand(): Command {
  const command = sendCommandLine();
  command.action(async () => {
    const args = sendArgsOf(command);
    await (args.testWebhook !== null ? sendTestEvent(command, args) : sendRequests(args));
  });
  return command;
}
