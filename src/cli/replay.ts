import readline from 'node:readline/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OUTCOMES, type InspectorOutcome } from '../inspector/filters';
import { api, ApiUnreachable, outcomesOption, dateOption, errorMessage, serverTarget, tokenOption, urlOption, type ServerTarget } from './common';

// `iaphook replay <requestId>` or `iaphook replay --since 2026-03-01 --outcome rejected`: asks the
// running iaphook to run stored requests through its receiver again (the same exact bytes; a
// duplicate stays a duplicate), as the inspector's Replay button does. It goes through the server
// rather than the database so the worker, the live list and the metrics see each replay.

function requestId(value: string): string {
  if (!/^req_[0-9A-HJKMNP-TV-Z]{26}$/.test(value)) throw new InvalidArgumentError('expected a request id such as req_01K…');
  return value;
}

interface Options {
  url?: string;
  token?: string;
  acceptUnverified?: boolean;
  since?: number;
  until?: number;
  outcome?: InspectorOutcome[];
  path: string;
  json?: boolean;
}

interface ReplayAnswer {
  replayOf?: string;
  requestId?: string;
  status?: number;
  outcome?: string;
  reason?: string | null;
  eventId?: string | null;
  error?: { code?: string; message: string };
}

const NEEDS_CONFIRMATION = 'replay_of_unauthenticated_request';

function replay(target: ServerTarget, id: string, acceptUnverified: boolean) {
  return api<ReplayAnswer>(target, 'POST', `/api/inspector/requests/${id}/replay`, acceptUnverified ? { acceptUnverified: true } : {});
}

function line(id: string, body: ReplayAnswer): string {
  const reason = body.reason === null || body.reason === undefined ? '' : ` (${body.reason})`;
  const event = body.eventId === null || body.eventId === undefined ? '' : `, event ${body.eventId}`;
  return `replayed ${id} as ${body.requestId}: ${body.status} ${body.outcome}${reason}${event}`;
}

async function replayOne(command: Command, target: ServerTarget, id: string, options: Options): Promise<void> {
  const res = await replay(target, id, options.acceptUnverified === true);
  if (res.status !== 200) {
    const hint = res.body.error?.code === NEEDS_CONFIRMATION ? '\nIf you know nachocode sent it, run again with --accept-unverified.' : '';
    command.error(`replay refused (${res.status}): ${errorMessage(res.body)}${hint}`);
  }
  process.stdout.write(options.json === true ? `${JSON.stringify(res.body)}\n` : `${line(id, res.body)}\n${JSON.stringify(res.body, null, 2)}\n`);
}

/** Every stored webhook request matching the filters, oldest first (the list API pages newest first). */
async function matching(target: ServerTarget, options: Options): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ from: String(options.since), path: options.path, source: 'webhook', limit: '500' });
    if (options.until !== undefined) query.set('to', String(options.until));
    if (options.outcome !== undefined) query.set('outcome', options.outcome.join(','));
    if (cursor !== null) query.set('cursor', cursor);
    const res = await api<{ data: Array<{ id: string }>; nextCursor: string | null; error?: unknown }>(target, 'GET', `/api/inspector/requests?${query}`);
    if (res.status !== 200) throw new Error(`listing requests failed (${res.status}): ${errorMessage(res.body)}`);
    ids.push(...res.body.data.map((r) => r.id));
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return ids.reverse();
}

/** On a terminal, the admin says yes or no; elsewhere only --accept-unverified says yes. */
async function confirmUnverified(count: number): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `${count} of these request${count === 1 ? '' : 's'} failed the webhook key check: nothing shows nachocode sent ${count === 1 ? 'it' : 'them'}. Replay anyway? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function replayMany(target: ServerTarget, options: Options): Promise<number> {
  const ids = await matching(target, options);
  const print = (id: string, body: ReplayAnswer) => process.stdout.write(options.json === true ? `${JSON.stringify(body)}\n` : `${line(id, body)}\n`);
  if (options.json !== true) process.stdout.write(`${ids.length} request${ids.length === 1 ? '' : 's'} to replay\n`);
  const unverified: string[] = [];
  let failed = 0;
  let replayed = 0;
  const attempt = async (id: string, accept: boolean) => {
    const res = await replay(target, id, accept);
    if (res.status === 200) {
      replayed += 1;
      return print(id, res.body);
    }
    if (!accept && res.body.error?.code === NEEDS_CONFIRMATION) return unverified.push(id);
    failed += 1;
    process.stderr.write(`not replayed ${id} (${res.status}): ${errorMessage(res.body)}\n`);
  };
  for (const id of ids) await attempt(id, options.acceptUnverified === true);
  if (unverified.length > 0) {
    if (await confirmUnverified(unverified.length)) {
      for (const id of unverified) await attempt(id, true);
    } else {
      failed += unverified.length;
      process.stderr.write(
        `not replayed ${unverified.length} that failed the webhook key check: ${unverified.join(', ')}\nIf you know nachocode sent them, run again with --accept-unverified.\n`,
      );
    }
  }
  if (options.json !== true) process.stdout.write(`replayed ${replayed}, not replayed ${failed}\n`);
  return failed === 0 ? 0 : 1;
}

export function replayCommand(): Command {
  const command: Command = new Command('replay')
    .summary('replay a stored request, or every one rejected since a date')
    .description(
      'Replay stored requests through the receiver of a running iaphook: one by id, or every webhook request since a date\n' +
        '(--since, with --outcome: e.g. everything rejected while a bug was live, replayed after the fix).',
    )
    .argument('[requestId]', 'the id shown in the inspector (req_…)', requestId)
    .addOption(urlOption())
    .addOption(tokenOption())
    .option('--since <date>', 'replay every webhook request received since then (2026-03-01 or an ISO time), oldest first', dateOption)
    .option('--until <date>', 'with --since: only those received before then', dateOption)
    .addOption(new Option('--outcome <list>', `with --since: only these outcomes (${OUTCOMES.join(', ')}); default rejected`).argParser(outcomesOption))
    .option('--path <prefix>', 'with --since: only paths under this prefix', '/webhooks/')
    .option('--accept-unverified', 'replay requests that failed the webhook key check anyway (you vouch that nachocode sent them); a terminal asks instead')
    .option('--json', 'print each answer as one JSON line')
    .action(async (id: string | undefined, options: Options) => {
      if ((id === undefined) === (options.since === undefined)) command.error('give a request id or --since <date>, not both');
      if (id !== undefined && (options.until !== undefined || options.outcome !== undefined)) command.error('--until and --outcome go with --since');
      const target = serverTarget(command, options, 'replay-cli');
      try {
        if (id !== undefined) return await replayOne(command, target, id, options);
        process.exitCode = await replayMany(target, { ...options, outcome: options.outcome ?? ['rejected'] });
      } catch (error) {
        if (error instanceof ApiUnreachable) command.error(error.message);
        throw error;
      }
    });
  return command;
}
