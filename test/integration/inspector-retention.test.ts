import { pruneAccepted, pruneIdleBins } from '../../src/inspector';
import { newId } from '../../src/shared/ids';
import { ManualClock } from '../../src/shared/clock';
import type { Tx } from '../../src/storage/port';
import { freshStorage, type TestStorage } from '../support/db';
import { nacho } from '../support/fixtures';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';

// Raw requests are bounded: rejected ones tightly (receiver), accepted ones generously and
// separately (the ledger's evidence), bin captures by their bin.

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 2, 1);

describe('pruneAccepted', () => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await freshStorage();
  });
  afterEach(() => db.remove());

  const write = <T>(work: (tx: Tx) => Promise<T>) => db.storage.write(work);

  /** One raw request per outcome given, one day apart, oldest first. */
  function seed(outcomes: Array<string | { outcome: string; binId: string }>): Promise<string[]> {
    return write(async (tx) => {
      const ids: string[] = [];
      for (const [i, o] of outcomes.entries()) {
        const at = T0 + i * DAY;
        const id = newId('req', at);
        const { outcome, binId } = typeof o === 'string' ? { outcome: o, binId: null } : o;
        await tx.run(sql`INSERT INTO raw_requests (id, received_at, method, path, headers, body_size, status, outcome, source, bin_id)
          VALUES (${id}, ${at}, 'POST', '/webhooks/nachocode', '{}', 0, 200, ${outcome}, 'webhook', ${binId})`);
        ids.push(id);
      }
      return ids;
    });
  }
  const remaining = async () => (await db.storage.read.all<{ outcome: string }>(sql`SELECT outcome FROM raw_requests ORDER BY id`)).map((r) => r.outcome);

  it.each<[string, { maxCount: number; maxAgeDays: number }, number, string[]]>([
    ['nothing is beyond the limits', { maxCount: 10, maxAgeDays: 365 }, T0 + 10 * DAY, ['stored', 'duplicate', 'rejected', 'conflict', 'captured', 'stored']],
    ['the count is exceeded', { maxCount: 2, maxAgeDays: 365 }, T0 + 10 * DAY, ['rejected', 'captured', 'conflict', 'stored']],
    ['some are too old', { maxCount: 10, maxAgeDays: 3 }, T0 + 5 * DAY, ['rejected', 'conflict', 'captured', 'stored']],
  ])('when %s, then only accepted requests outside the limits go (rejected and bin captures stay)', async (_name, policy, now, expected) => {
    await seed(['stored', 'duplicate', 'rejected', 'conflict', { outcome: 'captured', binId: 'bin_x' }, 'stored']);
    await write((tx) => pruneAccepted(tx, policy, now, 1000));
    expect((await remaining()).sort()).toEqual([...expected].sort());
  });

  it('when more than a chunk must go, then each call deletes at most a chunk, oldest first', async () => {
    await seed(['stored', 'stored', 'stored', 'stored', 'stored']);
    const prune = () => write((tx) => pruneAccepted(tx, { maxCount: 1, maxAgeDays: 365 }, T0 + 5 * DAY, 2));
    expect(await prune()).toBe(2);
    expect(await prune()).toBe(2);
    expect(await prune()).toBe(0);
    expect(await remaining()).toEqual(['stored']);
  });

  it('when bins have been idle too long, then they go with their captures and active ones stay', async () => {
    await write(async (tx) => {
      const insert = (id: string, createdAt: number, lastRequestAt: number | null) =>
        tx.run(sql`INSERT INTO bins (id, created_at, last_request_at) VALUES (${id}, ${createdAt}, ${lastRequestAt})`);
      await insert('bin_idle', T0, T0 + DAY);
      await insert('bin_new_unused', T0 + 9 * DAY, null);
      await insert('bin_active', T0, T0 + 9 * DAY);
    });
    await seed([{ outcome: 'captured', binId: 'bin_idle' }, { outcome: 'captured', binId: 'bin_active' }, 'stored']);
    expect(await write((tx) => pruneIdleBins(tx, 7, T0 + 10 * DAY))).toBe(2);
    expect(await db.storage.read.all(sql`SELECT id FROM bins ORDER BY id`)).toEqual([{ id: 'bin_active' }, { id: 'bin_new_unused' }]);
    expect(await remaining()).toEqual(['captured', 'stored']);
  });
});

describe('runtime.prune', () => {
  let rt: TestRuntime;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    rt = await startRuntime({ RAW_REJECTED_MAX_COUNT: '1', RAW_ACCEPTED_MAX_AGE_DAYS: '30', BIN_MAX_AGE_DAYS: '7' }, { clock, startWorker: false });
  });
  afterAll(() => rt.stop());

  it('when the periodic prune runs, then rejected, accepted and bin limits all apply', async () => {
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos()).expect(200);
    const bin = await rt.http.post('/api/bins').set('Authorization', `Bearer ${rt.adminToken()}`).send({}).expect(201);
    await rt.http.post(`/bins/${bin.body.id}`).send('x').expect(200);
    clock.advance(20 * DAY);
    await rt.post('/webhooks/nachocode/purchase', nacho.purchaseAndroid()).expect(200);
    for (let i = 0; i < 3; i += 1) await rt.post('/webhooks/nachocode/purchase', nacho.purchaseIos(), null).expect(401);
    clock.advance(15 * DAY);

    // The iOS purchase is 35 days old (beyond 30), the bin idle for 35 (beyond 7), two of three rejected are beyond the count of 1.
    expect(await rt.prune()).toBe(1 + 2 + 2);
    const left = await rt.rows(sql`SELECT outcome, path FROM raw_requests ORDER BY id`);
    expect(left).toEqual([
      { outcome: 'stored', path: '/webhooks/nachocode/purchase' },
      { outcome: 'rejected', path: '/webhooks/nachocode/purchase' },
    ]);
    expect(await rt.rows(sql`SELECT count(*) AS n FROM bins`)).toEqual([{ n: 0 }]);
    // The event of the pruned request stays: the ledger does not depend on raw requests.
    expect(await rt.rows(sql`SELECT count(*) AS n FROM events`)).toEqual([{ n: 2 }]);
  });
});
