import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { signToken } from '../../src/http/tokens';
import { NACHOCODE_EXAMPLES } from '../../src/inspector/sender/examples';
import { nacho } from '../support/fixtures';
import { JWT_SECRET, listen, startRuntime, tempDir, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';
import { Subscriber } from '../support/subscriber';
import { adminApi, settle } from './outbound-support';

// `iaphook send` and `iaphook replay` as child processes (the CLI's own source, through tsx)
// against a running app: --data, --example, --quiet, --json, --test-webhook, replay --token and
// bulk replay with its confirmation.

jest.setTimeout(60_000);

const root = path.join(__dirname, '..', '..');
let rt: TestRuntime;
let server: Awaited<ReturnType<typeof listen>>;
let dir: string;

beforeAll(async () => {
  rt = await startRuntime();
  server = await listen(rt.app);
  dir = tempDir('iaphook-cli-');
});
afterAll(async () => {
  await server.close();
  await rt.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `iaphook <args>`; secrets the same as the app's, so default tokens and keys work. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/cli/main.ts', ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          JWT_SECRET,
          NACHOCODE_WEBHOOK_KEYS: WEBHOOK_KEY,
          DATABASE_PATH: path.join(dir, 'unused.db'),
          ...env,
        },
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const admin = () => `Bearer ${rt.adminToken()}`;
async function newest(): Promise<{ id: string; outcome: string; source: string }> {
  const res = await rt.http.get('/api/inspector/requests?limit=1').set('Authorization', admin()).expect(200);
  return res.body.data[0];
}
async function bodyOf(id: string): Promise<string> {
  const res = await rt.http.get(`/api/inspector/requests/${id}`).set('Authorization', admin()).expect(200);
  return Buffer.from(res.body.body.base64, 'base64').toString('utf8');
}
const route = (kind = '') => `${server.url}/webhooks/nachocode${kind}`;

describe('iaphook send', () => {
  it('when --data @file is sent with --quiet, then those exact bytes are stored, classified by shape, and nothing is printed', async () => {
    const file = path.join(dir, 'purchase.json');
    const bytes = `{ "note": "kept as written",\n  ${JSON.stringify(nacho.purchaseAndroid()).slice(1)}`;
    fs.writeFileSync(file, bytes);
    const run = await cli(['send', '--data', `@${file}`, '--url', route(), '--quiet']);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    const stored = await newest();
    expect(stored.outcome).toBe('stored');
    expect(await bodyOf(stored.id)).toBe(bytes);
  });

  it('when --example is sent twice with --json, then each line is the answer as JSON and the second is a duplicate', async () => {
    const first = await cli(['send', '--example', 'purchase', '--url', route('/purchase'), '--json']);
    const second = await cli(['send', '--example', 'purchase', '--url', route('/purchase'), '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 200, ok: true, answer: { received: true, duplicate: false } });
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 200, answer: { duplicate: true } });
    expect(await bodyOf((await newest()).id)).toBe(JSON.stringify(NACHOCODE_EXAMPLES.purchase));
  });

  it.each<[string, string[]]>([
    ['--data and --example', ['--data', '{}', '--example', 'purchase']],
    ['no kind and nothing to send', []],
    ['--quiet with --json', ['purchase', '--quiet', '--json']],
    ['a file that is not there', ['--data', '@/nonexistent/file.json']],
  ])('when the arguments are %s, then the command refuses them', async (_name, args) => {
    const run = await cli(['send', ...args, '--url', route()]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/error/);
  });

  it('when --test-webhook is sent, then the subscription gets its test event and the command names the delivery', async () => {
    const sub = await Subscriber.start();
    try {
      const api = adminApi(rt);
      const hook = await api.createWebhook(`${sub.url}/cli`, { name: 'cli-test', events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE' }] });
      const run = await cli(['send', '--test-webhook', String(hook.id), '--server-url', server.url]);
      expect(run.stdout).toMatch(new RegExp(`^queued a test ISSUE_CREATION for subscription ${hook.id} as delivery dlv_`));
      await settle(rt);
      expect(sub.requests.map((r) => r.headers['x-iaphook-test'])).toEqual(['true']);
    } finally {
      await sub.close();
    }
  });
});

describe('iaphook replay', () => {
  it('when --token is given, then it is the token used (a wrong one is refused)', async () => {
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const { id } = await newest();
    const good = await cli(['replay', id, '--url', server.url, '--token', signToken(JWT_SECRET, { role: 'admin', sub: 'x', expiresInSeconds: 60 })], {
      JWT_SECRET: 'another-secret-that-is-long-enough-000000000',
    });
    expect(good.stdout).toMatch(new RegExp(`^replayed ${id} as req_\\w+: 200 duplicate`));
    const bad = await cli(['replay', id, '--url', server.url, '--token', 'not-a-token']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/replay refused \(401\)/);
  });

  it('when replaying --since with --outcome rejected, then each rejected webhook is replayed once; those that failed the key check only with --accept-unverified', async () => {
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await rt.post('/webhooks/nachocode/purchase', { ...nacho.purchaseAndroid(), iapLogId: 990_001 }, 'wrong-key-000000000000000').expect(401);
    await rt.http
      .post('/webhooks/nachocode/purchase')
      .set('Authorization', `Bearer ${WEBHOOK_KEY}`)
      .set('Content-Type', 'application/json')
      .send('{"userId":')
      .expect(400);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);

    const first = await cli(['replay', '--since', since, '--url', server.url]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^2 requests to replay\n/);
    expect(first.stdout).toMatch(/: 400 rejected \(invalid_json\)/);
    expect(first.stderr).toMatch(
      /not replayed 1 that failed the webhook key check: req_\w+\nIf you know nachocode sent them, run again with --accept-unverified/,
    );
    expect(first.stdout).toMatch(/replayed 1, not replayed 1\n$/);

    const second = await cli(['replay', '--since', since, '--url', server.url, '--accept-unverified', '--json']);
    const lines = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { outcome: string; acceptedUnverified: boolean });
    expect(second.code).toBe(0);
    // Replays are not replayed again: only the two original requests.
    expect(lines.map((l) => [l.outcome, l.acceptedUnverified]).sort()).toEqual([
      ['rejected', false],
      ['stored', true],
    ]);
  });
});
