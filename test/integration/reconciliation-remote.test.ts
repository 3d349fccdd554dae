import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiscrepancyLog, reconcileFile, RemoteError, remoteLedgerSource, type LedgerSource } from '../../src/reconciliation';
import { nacho } from '../support/fixtures';
import { tempDir } from '../support/db';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { exportRows, fileIn, seedLedger, snapshot, writeCsv } from './reconciliation-support';

// The reconcile CLI's --url mode: the same comparison through the admin API of a running
// instance (a real HTTP server on 127.0.0.1), and that API's own contract.

let rt: TestRuntime;
let server: http.Server;
let baseUrl: string;
let dir: string;
const sources: LedgerSource[] = [];

beforeAll(async () => {
  rt = await startRuntime();
  dir = tempDir('iaphook-reconcile-remote-');
  await seedLedger(rt);
  server = http.createServer(rt.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(sources.map((s) => s.close?.()));
  await new Promise((resolve) => server.close(resolve));
  await rt.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function remote(token = rt.adminToken()): LedgerSource {
  const source = remoteLedgerSource(baseUrl, token);
  sources.push(source);
  return source;
}

const admin = () => `Bearer ${rt.adminToken()}`;

async function reconcile(source: LedgerSource, ingest = false) {
  const file = fileIn(dir, 'export.csv');
  writeCsv(file, exportRows());
  const log = new DiscrepancyLog({ sampleLimit: 100, spoolDir: null });
  return { summary: await reconcileFile({ file, format: 'csv', environment: 'production', source, log, ingest }), log };
}

describe('reconciling against a running instance (--url)', () => {
  it('when compared over the API, then the discrepancies are the same as against the database', async () => {
    const { summary, log } = await reconcile(remote());
    expect(summary).toMatchObject({
      missing: { purchase: 1, refund: 1 },
      extra: { purchase: 1, refund: 0 },
      mismatched: { purchase: 1, refund: 0 },
      discrepancies: 5,
    });
    expect(log.samples('extra')).toEqual([expect.objectContaining({ iapLogId: 103 })]);
  });

  it('when the token is not an admin token, then the run fails with the API error', async () => {
    await expect(reconcile(remote(rt.userToken('u')))).rejects.toThrow(RemoteError);
    await expect(reconcile(remote(rt.userToken('u')))).rejects.toThrow(/403/);
  });

  it('when --ingest runs twice over the API, then the second run changes nothing', async () => {
    const first = await reconcile(remote(), true);
    expect(first.summary.ingest).toMatchObject({ stored: 2 });
    await rt.worker.whenIdle();
    const before = await snapshot(rt.storage.read);
    const second = await reconcile(remote(), true);
    await rt.worker.whenIdle();
    expect(second.summary.ingest).toMatchObject({ requested: 0 });
    expect(await snapshot(rt.storage.read)).toEqual(before);
  });
});

describe('the reconciliation admin API', () => {
  it('when identities are looked up, then each stored one comes back with its event and compared fields', async () => {
    const res = await rt.http
      .post('/api/reconciliation/lookup')
      .set('Authorization', admin())
      .send({
        keys: [
          { environment: 'production', iapLogId: 101 },
          { environment: 'production', iapLogId: 102, refundedAt: '2026-03-04T17:00:00+09:00' },
          { environment: 'production', iapLogId: 999 },
          { environment: 'sandbox', iapLogId: 101 },
        ],
      })
      .expect(200);
    expect(res.body.facts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'purchase', iapLogId: 101, dedupeKey: 'purchase:production:101', status: 'applied', source: 'webhook' }),
        expect.objectContaining({
          type: 'refund',
          iapLogId: 102,
          refundedAt: '2026-03-04T08:00:00.000Z',
          fields: expect.objectContaining({ refundQuantity: 1 }),
        }),
      ]),
    );
    expect(res.body.facts).toHaveLength(2);
  });

  it('when event ids from a range page are looked up, then their full facts come back', async () => {
    const page = await rt.http.get('/api/reconciliation/events?environment=production&type=refund').set('Authorization', admin()).expect(200);
    const res = await rt.http
      .post('/api/reconciliation/lookup')
      .set('Authorization', admin())
      .send({ eventIds: [page.body.data[0].eventId] })
      .expect(200);
    expect(res.body.facts).toEqual([expect.objectContaining({ type: 'refund', iapLogId: 102, eventId: page.body.data[0].eventId })]);
  });

  it('when a lookup body is malformed, then it is a 422 naming the field', async () => {
    const res = await rt.http
      .post('/api/reconciliation/lookup')
      .set('Authorization', admin())
      .send({ keys: [{ environment: 'prod', iapLogId: 1 }] })
      .expect(422);
    expect(res.body.error.details.fields[0].field).toBe('keys.0.environment');
  });

  it('when events are listed page by page, then the cursor walks the range without repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const query: string = `environment=production&type=purchase&from=2026-03-01&to=2026-03-03&limit=1${after ? `&after=${after}` : ''}`;
      const res = await rt.http.get(`/api/reconciliation/events?${query}`).set('Authorization', admin()).expect(200);
      expect(res.body.data).toEqual([{ eventId: expect.stringMatching(/^evt_/), dedupeKey: expect.any(String) }]);
      seen.push(...(res.body.data as Array<{ dedupeKey: string }>).map((k) => k.dedupeKey));
      after = res.body.nextCursor;
    } while (after !== null);
    expect(seen.sort()).toEqual(['purchase:production:101', 'purchase:production:102', 'purchase:production:103']);
  });

  it('when bodies are ingested over the API, then they go through the receiver as imports and a repeat is a duplicate', async () => {
    const body = nacho.purchaseIos({ iapLogId: 777, data: { transactionId: 't-777' } });
    const send = () =>
      rt.http
        .post('/api/reconciliation/ingest')
        .set('Authorization', admin())
        .send({ rows: [{ ref: 'list.csv:2', body }, { body: { userId: 'x' } }] })
        .expect(200);
    const first = await send();
    expect(first.body.results).toEqual([
      { ref: 'list.csv:2', status: 200, outcome: 'stored', eventId: expect.stringMatching(/^evt_/), error: null },
      expect.objectContaining({ ref: 'api', status: 422, outcome: 'rejected', eventId: null, error: expect.stringContaining('invalid purchase event') }),
    ]);
    const again = await send();
    expect(again.body.results[0]).toMatchObject({ outcome: 'duplicate', eventId: first.body.results[0].eventId });
    const event = await rt.http.get(`/api/events/${first.body.results[0].eventId}`).set('Authorization', admin()).expect(200);
    expect(event.body.source).toBe('import');
  });
});
