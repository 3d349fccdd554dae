import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';
import { NACHOCODE_EXAMPLES, type ExampleName } from './examples';
import { DEFAULT_OPTIONS, type SampleKind, type SampleOptions } from './payloads';

export interface SendArgs {
  /** --server-url: the iaphook --test-webhook asks (--url is where samples go). */
  serverUrl: string | null;
  /** The route and, without --data or --example, what to build; null sends --data to the any-event route. */
  kind: SampleKind | null;
  /** --data or --example: these exact bytes instead of a built sample. */
  body: string | null;
  /** What the body is, for the printed lines: the --data argument or the example's name. */
  bodyLabel: string | null;
  /** --test-webhook: ask the server to send a subscription its test event instead. */
  testWebhook: number | null;
  project: number | null;
  token: string | null;
  quiet: boolean;
  json: boolean;
  options: SampleOptions;
  /** Every request goes here when set (a bin, webhook.site, another service). */
  url: string | null;
  /** null: use the key iaphook itself uses. */
  key: string | null;
  count: number;
  concurrency: number;
}

function positiveInt(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return Number(value);
  };
}

function url(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected an http(s) URL');
}

/** `--data @file.json`, `--data @-` (standard input) or the JSON text itself: the bytes to send, unchanged. */
export function readData(value: string): string {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as Error).message}`);
  }
}

/** The command line of `iaphook send`; throws commander's errors (exitOverride) instead of exiting. */
export function sendCommand(): Command {
  return new Command('send')
    .summary("send sample, example or custom webhooks, or a subscription's test event")
    .description(
      'Send nachocode webhooks to iaphook, or to any URL, and print each answer: realistic samples with fresh ids,\n' +
        "the documented examples (--example), your own body (--data), or a subscription's test event (--test-webhook).\n" +
        'A refund without --for-purchase first sends the purchase it refunds.',
    )
    .addArgument(new Argument('[kind]', 'what to send (the route, with --data)').choices(['purchase', 'refund', 'unavailable-users']))
    .option('--data <json|@file>', 'send this body exactly as given: JSON text, @file.json or @- for standard input (to /webhooks/nachocode without a kind)')
    .addOption(
      new Option('--example <name>', 'send a documented example payload exactly (fixed ids: a second send is a duplicate)').choices(
        Object.keys(NACHOCODE_EXAMPLES),
      ),
    )
    .option(
      '--test-webhook <id>',
      'ask the server to send subscription <id> an example event of its type (delivered and logged like any)',
      positiveInt(Number.MAX_SAFE_INTEGER),
    )
    .option('--project <id>', 'the project of --test-webhook (default: found from the id)', positiveInt(Number.MAX_SAFE_INTEGER))
    .addOption(new Option('--token <jwt>', "admin token for --test-webhook (default: one signed with this machine's JWT_SECRET)").env('IAPHOOK_TOKEN'))
    .option('--quiet', 'print nothing but errors: the exit status says whether every request got a 2xx')
    .option('--json', 'print one JSON object per request (status, latencyMs, answer) instead of text lines')
    .option(
      '--url <url>',
      "send every request here: a bare server address means its webhook route for the kind (default: this machine's iaphook, http://127.0.0.1:$PORT/webhooks/nachocode/<kind>)",
      url,
    )
    .option('--key <key>', 'webhook key for Authorization: Bearer (default: the key iaphook uses)')
    .addOption(new Option('--os <os>', 'store').choices(['ios', 'android']).default(DEFAULT_OPTIONS.os))
    .addOption(new Option('--environment <env>', 'nachocode environment').choices(['sandbox', 'production']).default(DEFAULT_OPTIONS.environment))
    .option('--user <id>', 'app user id', DEFAULT_OPTIONS.userId)
    .option('--product <id>', 'store product id (default: a sample product of the type)')
    .addOption(new Option('--consumable', 'a consumable product (the default)').conflicts('nonConsumable'))
    .addOption(new Option('--non-consumable', 'a non-consumable product'))
    .option('--quantity <n>', 'units bought', positiveInt(1_000_000), DEFAULT_OPTIONS.quantity)
    .option('--refund-quantity <n>', 'units refunded (default: the whole quantity)', positiveInt(1_000_000))
    .option(
      '--for-purchase <iapLogId>',
      'refund this earlier purchase (pass the same --user/--product/--os/--environment it was sent with)',
      positiveInt(Number.MAX_SAFE_INTEGER),
    )
    .option('--count <n>', 'how many to send (each refund unit is a purchase and its refund)', positiveInt(10_000_000), 1)
    .option('--concurrency <n>', 'units in flight at once', positiveInt(1000), 4)
    .addOption(new Option('--server-url <url>', 'the iaphook of --test-webhook (default: http://127.0.0.1:$PORT)').argParser(url))
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

interface RawOptions {
  url?: string;
  key?: string;
  os: 'ios' | 'android';
  environment: 'sandbox' | 'production';
  user: string;
  product?: string;
  nonConsumable?: boolean;
  quantity: number;
  refundQuantity?: number;
  forPurchase?: number;
  count: number;
  concurrency: number;
  data?: string;
  example?: ExampleName;
  testWebhook?: number;
  project?: number;
  token?: string;
  quiet?: boolean;
  json?: boolean;
  serverUrl?: string;
}

/** Parses the arguments after `iaphook send`. */
export function parseSendArgs(argv: string[]): SendArgs {
  // exitOverride: commander's errors are thrown, not exits (the CLI itself lets them exit).
  const command = sendCommand().exitOverride();
  command.parse(argv, { from: 'user' });
  return sendArgsOf(command);
}

/** The parsed arguments of a sendCommand() that has run its parse. */
export function sendArgsOf(command: Command): SendArgs {
  const raw = command.opts<RawOptions>();
  const kind = (command.processedArgs[0] as SampleKind | undefined) ?? null;
  const sources = [raw.data, raw.example, raw.testWebhook].filter((v) => v !== undefined).length;
  // error() prints the message and, with exitOverride, throws instead of exiting.
  if (sources > 1) command.error('error: --data, --example and --test-webhook each say what to send: give one');
  if (sources === 0 && kind === null)
    command.error("error: missing argument 'kind' (purchase, refund or unavailable-users), or --data, --example or --test-webhook");
  if (raw.example !== undefined && kind !== null && kind !== raw.example) command.error(`error: --example ${raw.example} goes to its own route, not ${kind}`);
  if (raw.testWebhook !== undefined && kind !== null) command.error("error: --test-webhook sends the subscription's own event type: drop the kind");
  if (raw.project !== undefined && raw.testWebhook === undefined) command.error('error: --project only goes with --test-webhook');
  if (raw.forPurchase !== undefined && kind !== 'refund') command.error('error: --for-purchase only goes with refund');
  if (raw.quiet === true && raw.json === true) command.error('error: --quiet and --json: choose one');
  let body: string | null = null;
  if (raw.data !== undefined) {
    try {
      body = readData(raw.data);
    } catch (error) {
      command.error(`error: --data: ${(error as Error).message}`);
    }
  }
  if (raw.example !== undefined) body = JSON.stringify(NACHOCODE_EXAMPLES[raw.example]);
  return {
    kind: raw.example ?? kind,
    body,
    bodyLabel:
      raw.example !== undefined
        ? `example ${raw.example}`
        : raw.data !== undefined
          ? `data ${raw.data.startsWith('@') ? raw.data.slice(1) : 'from the command line'}`
          : null,
    testWebhook: raw.testWebhook ?? null,
    project: raw.project ?? null,
    token: raw.token ?? null,
    quiet: raw.quiet === true,
    json: raw.json === true,
    serverUrl: raw.serverUrl ?? null,
    options: {
      os: raw.os,
      environment: raw.environment,
      userId: raw.user,
      productType: raw.nonConsumable === true ? 'non-consumable' : 'consumable',
      productId: raw.product,
      quantity: raw.quantity,
      refundQuantity: raw.refundQuantity,
      forPurchase: raw.forPurchase,
    },
    url: raw.url ?? null,
    key: raw.key ?? null,
    count: raw.count,
    concurrency: raw.concurrency,
  };
}
