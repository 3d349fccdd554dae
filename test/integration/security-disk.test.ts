import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { nacho } from '../support/fixtures';
import { listen, sql, startRuntime, TEST_BACKEND, WEBHOOK_KEY, type TestRuntime } from '../support/runtime';

// Anyone who knows a webhook or bin URL can send to it without a key. What they can make iaphook
// keep is bounded when it is written, not only by the periodic prune: the first few KB of a keyless
// body, so many keyless requests per address and hour, so many bytes per bin; and a flood cannot
// push out the rejected requests that did pass the key check (possibly lost nachocode events).

jest.setTimeout(120_000);

const PURCHASE = '/webhooks/nachocode/purchase';
const KB = 1024;
const big = (tag: number) => JSON.stringify({ ...nacho.purchaseIos({ iapLogId: 800_000 + tag }), padding: 'x'.repeat(250 * KB - 400) });

let rt: TestRuntime;
afterEach(async () => {
  await rt.stop();
});

/** What the raw requests take on disk: the SQLite file and its WAL, or the PostgreSQL table with its TOAST and indexes. */
async function diskBytes(): Promise<number> {
  if (TEST_BACKEND === 'postgres') {
    const [{ bytes }] = await rt.rows<{ bytes: number }>(sql`SELECT pg_total_relation_size('raw_requests') AS bytes`);
    return Number(bytes);
  }
  const file = rt.database.env.DATABASE_PATH;
  return [file, `${file}-wal`].reduce((sum, f) => sum + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}
const rejectedIds = async () =>
  (await rt.http.get('/api/inspector/requests?outcome=rejected&limit=500').set('Authorization', `Bearer ${rt.adminToken()}`).expect(200)).body.data.map(
    (r: { id: string }) => r.id,
  ) as string[];

/** A genuine nachocode purchase refused for its body (a field missing): a lost event to replay after a fix. */
async function genuineRejection(): Promise<string> {
  const { userId: _dropped, ...withoutUser } = nacho.purchaseIos({ iapLogId: 700_001 });
  await rt.post(PURCHASE, withoutUser, WEBHOOK_KEY).expect(422);
  return (await rejectedIds())[0];
}

describe('a keyless flood', () => {
  it('when 300 keyless 250 KB posts arrive from one address, then the database grows by less than 10 MB and the genuine rejection is still listed', async () => {
    rt = await startRuntime({ RAW_REJECTED_MAX_COUNT: '100' }, { startWorker: false });
    const genuine = await genuineRejection();
    const before = await diskBytes();

    for (let i = 0; i < 300; i += 1) await rt.post(PURCHASE, big(i), null).expect(401);
    await rt.prune();

    const grown = (await diskBytes()) - before;
    expect(grown).toBeLessThan(10 * 1024 * KB);
    const listed = await rejectedIds();
    expect(listed).toContain(genuine);
    // The address's quota: the first RAW_UNVERIFIED_PER_ADDRESS (100) are kept, each cut to 4 KB.
    const kept = await rt.rows<{ kept: number; size: number; sha: string }>(
      sql`SELECT length(body) AS kept, body_size AS size, body_sha256 AS sha FROM raw_requests WHERE key_fingerprint IS NULL`,
    );
    expect(kept).toHaveLength(100);
    expect(kept.every((r) => r.kept === 4 * KB && r.size > 250 * KB - 400 && /^[0-9a-f]{64}$/.test(r.sha))).toBe(true);
    const metrics = await rt.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/iaphook_webhook_unrecorded_total\{reason="unauthorized"\} 200/);
  });

  it('when the flood comes from 300 addresses, then keyless requests only push out keyless ones, and no more than the hourly total is kept', async () => {
    rt = await startRuntime({ RAW_REJECTED_MAX_COUNT: '100', RAW_UNVERIFIED_PER_HOUR: '200' }, { startWorker: false });
    const genuine = await genuineRejection();
    for (let i = 0; i < 300; i += 1) {
      const answer = await rt.receive('purchase', {
        method: 'POST',
        path: PURCHASE,
        query: null,
        rawHeaders: ['content-type', 'application/json'],
        body: Buffer.from(big(i)),
        remoteAddr: `198.51.100.${i % 250}:${i}`,
        requestId: null,
        source: 'webhook',
        startedAt: performance.now(),
      });
      expect(answer.status).toBe(401);
    }
    expect(await rt.rows(sql`SELECT count(*) AS n FROM raw_requests WHERE key_fingerprint IS NULL`)).toEqual([{ n: 200 }]);
    await rt.prune();
    const listed = await rejectedIds();
    expect(listed).toContain(genuine);
    expect(listed).toHaveLength(101);
  });
});

describe('a bin flood', () => {
  it('when a bin gets more bytes than BIN_MAX_BYTES, then its oldest requests go and the newest stays', async () => {
    rt = await startRuntime({ BIN_MAX_BYTES: '1mb' }, { startWorker: false });
    const server = await listen(rt.app);
    try {
      const bin = (await rt.http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).send({}).expect(201)).body as { id: string };
      for (let i = 0; i < 20; i += 1) {
        const res = await request(`${server.url}/bins/${bin.id}`, { method: 'POST', body: Buffer.alloc(250 * KB, 48 + (i % 10)) });
        await res.body.dump();
      }
      const rows = await rt.rows<{ size: number; first: Buffer }>(
        sql`SELECT length(body) AS size, substr(body, 1, 1) AS first FROM raw_requests WHERE bin_id = ${bin.id} ORDER BY received_at, id`,
      );
      expect(rows.reduce((sum, r) => sum + r.size, 0)).toBeLessThanOrEqual(1024 * KB);
      expect(rows).toHaveLength(4);
      expect(Buffer.from(rows[rows.length - 1].first).toString()).toBe(String(19 % 10));
    } finally {
      await server.close();
    }
  });
});
