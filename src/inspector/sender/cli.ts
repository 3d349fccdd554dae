import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_OPTIONS, type SampleKind, type SampleOptions } from './payloads';

export interface SendArgs {
  kind: SampleKind;
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

/** The command line of `npm run send --`; throws commander's errors (exitOverride) instead of exiting. */
export function sendCommand(): Command {
  return new Command()
    .name('npm run send --')
    .description(
      'Send realistic nachocode webhooks (fresh ids) to iaphook, or to any URL, and print each answer.\n' +
        'A refund without --for-purchase first sends the purchase it refunds.',
    )
    .addArgument(new Argument('<kind>', 'what to send').choices(['purchase', 'refund', 'unavailable-users']))
    .option('--url <url>', 'send every request here (default: this machine\'s iaphook, http://127.0.0.1:$PORT/webhooks/nachocode/<kind>)', url)
    .option('--key <key>', 'webhook key for Authorization: Bearer (default: the key iaphook uses)')
    .addOption(new Option('--os <os>', 'store').choices(['ios', 'android']).default(DEFAULT_OPTIONS.os))
    .addOption(new Option('--environment <env>', 'nachocode environment').choices(['sandbox', 'production']).default(DEFAULT_OPTIONS.environment))
    .option('--user <id>', 'app user id', DEFAULT_OPTIONS.userId)
    .option('--product <id>', 'store product id (default: a sample product of the type)')
    .addOption(new Option('--consumable', 'a consumable product (the default)').conflicts('nonConsumable'))
    .addOption(new Option('--non-consumable', 'a non-consumable product'))
    .option('--quantity <n>', 'units bought', positiveInt(1_000_000), DEFAULT_OPTIONS.quantity)
    .option('--refund-quantity <n>', 'units refunded (default: the whole quantity)', positiveInt(1_000_000))
    .option('--for-purchase <iapLogId>', 'refund this earlier purchase (pass the same --user/--product/--os/--environment it was sent with)', positiveInt(Number.MAX_SAFE_INTEGER))
    .option('--count <n>', 'how many to send (each refund unit is a purchase and its refund)', positiveInt(10_000_000), 1)
    .option('--concurrency <n>', 'units in flight at once', positiveInt(1000), 4)
    .exitOverride()
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
}

/** Parses the arguments after `npm run send --`. */
export function parseSendArgs(argv: string[]): SendArgs {
  const command = sendCommand();
  command.parse(argv, { from: 'user' });
  const raw = command.opts<RawOptions>();
  const kind = command.processedArgs[0] as SampleKind;
  // error() prints the message and, with exitOverride, throws instead of exiting.
  if (raw.forPurchase !== undefined && kind !== 'refund') command.error('error: --for-purchase only goes with refund');
  return {
    kind,
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
