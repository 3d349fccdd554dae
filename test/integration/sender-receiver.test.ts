import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseSendArgs, type SendArgs } from '../../src/inspector/sender/cli';
import { iapLogIdFactory, planUnit } from '../../src/inspector/sender/payloads';
import { defaultUrlFor, sendUnits, type SendResult } from '../../src/inspector/sender/send';
import type { Sql } from '../../src/storage/sql';
import { JWT_SECRET, listen, sql, startRuntime, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// The sample sender against the real receiver: every option's payloads are accepted, stored as
// new events and applied without anomalies.

let rt: TestRuntime;
let server: Awaited<ReturnType<typeof listen>>;
let clockOffset = 0;

beforeAll(async () => {
  rt = await startRuntime();
  server = await listen(rt.app);
});
afterAll(async () => {
  await server.close();
  await rt.stop();
});

/** What `npm run send -- <argv>` does, against the test server (the CLI's own parse, plan and send). */
async function send(argv: string[]): Promise<{ args: SendArgs; results: SendResult[] }> {
  const args = parseSendArgs(argv);
  // A distinct "now" per call keeps iapLogIds of different calls apart, as separate runs would be.
  const context = { now: Date.UTC(2026, 2, 2) + (clockOffset += 60_000), random: Math.random };
  const nextId = iapLogIdFactory(context);
  const units = Array.from({ length: args.count }, (_, seq) => planUnit(args.kind!, args.options, seq, nextId, context));
  const port = Number(new URL(server.url).port);
  const urlFor = args.url === null ? defaultUrlFor(port) : () => args.url as string;
  const results = await sendUnits(units, { urlFor, key: args.key ?? WEBHOOK_KEY, concurrency: args.concurrency });
  return { args, results };
}

const accepted = (results: SendResult[]) => results.map((r) => [r.status, JSON.parse(r.answer).duplicate]);
/** The n of a `SELECT count(*) AS n …`. */
const count = async (query: Sql) => (await rt.rows<{ n: number }>(query))[0].n;

describe('npm run send against the receiver', () => {
  it.each<[string, string[], number]>([
    ['a purchase with the defaults', ['purchase'], 1],
    ['an android purchase', ['purchase', '--os', 'android'], 1],
    ['a production purchase', ['purchase', '--environment', 'production'], 1],
    ['a non-consumable', ['purchase', '--non-consumable'], 1],
    ['an explicit consumable', ['purchase', '--consumable'], 1],
    ['a named user and product', ['purchase', '--user', 'user-send-1', '--product', 'com.acme.gold'], 1],
    ['a quantity', ['purchase', '--quantity', '7'], 1],
    ['a refund (purchase then refund)', ['refund'], 2],
    ['a partial refund', ['refund', '--quantity', '5', '--refund-quantity', '2'], 2],
    ['an android production non-consumable refund', ['refund', '--os', 'android', '--environment', 'production', '--non-consumable'], 2],
    ['unavailable users', ['unavailable-users'], 1],
    ['unavailable users with a user', ['unavailable-users', '--user', 'user-gone'], 1],
    ['a batch with concurrency', ['purchase', '--count', '20', '--concurrency', '5'], 20],
    ['a batch of refunds', ['refund', '--count', '4', '--concurrency', '2'], 8],
  ])('when sending %s, then every request is a new stored event', async (_name, argv, requests) => {
    const before = await count(sql`SELECT count(*) AS n FROM events`);
    const { results } = await send(argv);
    expect(accepted(results)).toEqual(Array.from({ length: requests }, () => [200, false]));
    expect(await count(sql`SELECT count(*) AS n FROM events`)).toBe(before + requests);
  });

  it('when the sent events are applied, then the ledger has no anomaly and refunds revoked what was bought', async () => {
    await rt.worker.whenIdle();
    expect(await count(sql`SELECT count(*) AS n FROM events WHERE status != 'applied'`)).toBe(0);
    expect(await rt.rows(sql`SELECT code FROM anomalies`)).toEqual([]);
    expect(await count(sql`SELECT count(*) AS n FROM ledger_entries WHERE kind = 'revoke'`)).toBe(1 + 1 + 1 + 4);
  });

  it('when a refund names an earlier purchase with the same options, then it revokes that purchase without a mismatch', async () => {
    const { results } = await send(['purchase', '--user', 'user-later', '--os', 'android', '--quantity', '3']);
    const iapLogId = Number(/iapLogId=(\d+)/.exec(results[0].label)![1]);
    const refund = await send([
      'refund',
      '--for-purchase',
      String(iapLogId),
      '--user',
      'user-later',
      '--os',
      'android',
      '--quantity',
      '3',
      '--refund-quantity',
      '1',
    ]);
    expect(accepted(refund.results)).toEqual([[200, false]]);
    await rt.worker.whenIdle();
    expect(await rt.rows(sql`SELECT code FROM anomalies`)).toEqual([]);
    expect(await rt.rows(sql`SELECT kind, quantity FROM ledger_entries WHERE iap_log_id = ${iapLogId} ORDER BY id`)).toEqual([
      { kind: 'grant', quantity: 3 },
      { kind: 'revoke', quantity: 1 },
    ]);
  });

  it('when --url points at a bin, then the bin captures the payloads', async () => {
    const bin = await rt.http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).send({}).expect(201);
    const { results } = await send(['refund', '--url', `${server.url}/bins/${bin.body.id}`]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const bodies = await rt.rows<{ body: Buffer }>(sql`SELECT body FROM raw_requests WHERE bin_id = ${bin.body.id} ORDER BY id`);
    expect(bodies.map((b) => Object.keys(JSON.parse(b.body.toString())))).toEqual([
      expect.arrayContaining(['purchasedAt']),
      expect.arrayContaining(['refundedAt']),
    ]);
  });

  it.each<[string, string[], number]>([
    ['a wrong key', ['purchase', '--key', 'wrong-key-wrong-key-1234'], 401],
    ['a URL that is not a webhook route', ['purchase', '--url', 'http://127.0.0.1:1/nowhere'], 0],
  ])('when sending with %s, then the result says it failed', async (_name, argv, status) => {
    const args = parseSendArgs(argv);
    const url = status === 0 ? args.url! : `${server.url}/webhooks/nachocode/purchase`;
    const results = await sendUnits([planUnit(args.kind!, args.options, 0, () => 1, { now: 0, random: Math.random })], {
      urlFor: () => url,
      key: args.key,
      concurrency: 1,
    });
    expect(results[0]).toMatchObject({ ok: false, status: status === 0 ? null : status });
  });
});

describe('the send script', () => {
  const run = (argv: string[]) => {
    const root = path.join(__dirname, '..', '..');
    return promisify(execFile)(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/send-sample.ts', ...argv], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', PORT: new URL(server.url).port, NACHOCODE_WEBHOOK_KEYS: WEBHOOK_KEY, JWT_SECRET, ...rt.database.env },
      timeout: 20_000,
    });
  };

  it('when run with a kind and --count, then it sends to this iaphook with its key, prints every status and latency, and a summary', async () => {
    const { stdout } = await run(['purchase', '--count', '3', '--concurrency', '3']);
    expect(stdout).toMatch(/^sending 3 requests to http:\/\/127\.0\.0\.1:\d+\/webhooks\/nachocode\/purchase\n/);
    expect(stdout.match(/^200 +\d+\.\d ms {2}purchase iapLogId=\d+ {2}\{"received":true,"duplicate":false,"eventId":"evt_\w+"\}$/gm)).toHaveLength(3);
    expect(stdout).toMatch(/sent 3: 3 ok, 0 failed \(200×3\)\nlatency p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms; \d+ requests\/s\n$/);
  }, 30_000);
});
