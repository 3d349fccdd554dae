import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { benchmarksMarkdown } from '../../scripts/bench/markdown';
import { ledgerLags, openLedger } from '../../scripts/bench/peer-ledger';
import { backendTargets, summarizePeerIngest, type BackendResults, type BenchResults } from '../../scripts/bench/report';

const load = (rps: number, p99: number) => ({ requests: rps, ok: rps, non2xx: 0, errors: 0, timeouts: 0, rps, p50: 1, p99, acks: new Map(), cpu: null });
const lag = { applied: 1, p50: 1, p99: 2, max: 2, drainMs: 0, pending: 0, samples: [1, 2] };
const peerRun = (rps: number, p99: number, pending = 0) => {
  const { acks: _acks, cpu: _cpu, ...rest } = load(rps, p99);
  return { ...rest, lag: { applied: 1, p50: 5, p99: 9, drainMs: 40, pending, failed: 0, samples: [5, 9] } };
};
const memory = {
  events: 1,
  peakRssBytes: 1,
  rssAfterRuns: [1, 1, 1],
  databaseBytes: 1,
  walBytes: null,
  databaseBytesPerEvent: 1,
  peakHeap: null,
  heapAfterRuns: [],
};

function backend(overrides: Partial<BackendResults> = {}): BackendResults {
  return {
    backend: 'sqlite',
    ingest: [
      { bare: load(3000, 10), server: load(2000, 20), lag, peer: peerRun(1000, 30) },
      { bare: load(3000, 10), server: load(2400, 20), lag, peer: peerRun(3000, 30, 7) },
      { bare: load(3000, 10), server: load(2200, 20), lag },
    ],
    memory,
    outbound: {
      perRound: 10,
      rounds: [
        { core: 900, undici: 1000, peer: 1000 },
        { core: 1100, undici: 1000, peer: 1000 },
      ],
      deliveriesPerSec: 1000,
      undiciPerSec: 1000,
      fetchPerSec: 100,
      attemptsLogged: 20,
      deliveries: 20,
      peerLogged: 20,
      cpu: null,
    },
    ...overrides,
  };
}

const target = (results: BackendResults, name: string) => backendTargets(results).find((t) => t.name === name)!;

describe('bench BullMQ peers', () => {
  it('compares only the rounds the receiver ran in, and counts the jobs a drain left behind', () => {
    const s = summarizePeerIngest(backend().ingest)!;
    expect(s).toMatchObject({ rounds: 2, serverRps: 2000, peerRps: 1000, pending: 7, drainMs: 40 });
    // Ratios 2.0 and 0.8: the median of two is the lower by nearest rank.
    expect(s.ratio).toBeCloseTo(0.8, 6);
  });

  it('meets a peer target only when iaphook is ahead, and says why when the peer did not run', () => {
    expect(target(backend(), 'ingest vs BullMQ receiver').met).toBe(false);
    expect(target(backend(), 'outbound vs BullMQ sender').met).toBe(false);
    const ahead = backend({ outbound: { ...backend().outbound!, rounds: [{ core: 1500, undici: 2000, peer: 1000 }] } });
    expect(target(ahead, 'outbound vs BullMQ sender')).toMatchObject({ met: true, measured: expect.stringContaining('1.50×') });
    const skipped = backend({
      ingest: backend().ingest.map(({ peer: _peer, ...round }) => round),
      outbound: { ...backend().outbound!, rounds: [{ core: 1, undici: 1 }] },
      peersSkipped: { ingest: 'skipped (BENCH_SKIP_PEERS=1)', outbound: 'skipped (BENCH_SKIP_PEERS=1)' },
    });
    expect(target(skipped, 'ingest vs BullMQ receiver')).toEqual(expect.objectContaining({ measured: 'skipped (BENCH_SKIP_PEERS=1)', met: null }));
    expect(target(skipped, 'outbound vs BullMQ sender')).toEqual(expect.objectContaining({ measured: 'skipped (BENCH_SKIP_PEERS=1)', met: null }));
  });

  it('writes the peers in the ingest and outbound sections, with the reason where one is missing', () => {
    const results: BenchResults = {
      machine: { cpu: 'cpu', cores: 2, memoryGb: 1, node: 'v20', platform: 'linux', date: '2026-01-01' },
      settings: { connections: 50, durationSec: 8, bodyBytes: 400, serverConfig: 'defaults', outboundInFlight: 50, outboundPerRound: 10 },
      sqlite: backend(),
      postgres: backend({
        backend: 'postgres',
        ingest: [{ bare: load(3000, 10), server: load(500, 20), lag }],
        peersSkipped: { ingest: 'Redis did not start (x)' },
      }),
      pair: null,
      scale: { sqlite: { skipped: 'not run' }, postgres: { skipped: 'not run' } },
      totalSeconds: 1,
    };
    const md = benchmarksMarkdown(results);
    expect(md).toContain('| ingest vs BullMQ receiver | ahead, > 1.0 × its req/s |');
    expect(md).toContain('### Against a BullMQ receiver');
    expect(md).toContain('not drained: 7 jobs left after 60 s');
    expect(md).toContain('PostgreSQL: not measured, Redis did not start (x).');
    expect(md).toContain('| SQLite | 2 | 2400 | 1 / 20 | 3000 | 1 / 30 | 0.80 | 0 | 5 / 9 | 40 (7 jobs left) |');
    expect(md).toContain('### Against a BullMQ sender');
    expect(md).toContain('| PostgreSQL | 2 | 1100 | 1000 | 1.10 |');
  });

  it('applies a purchase to the ledger once per event, and reads the lag of each acknowledged one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-'));
    try {
      const file = path.join(dir, 'ledger.db');
      const ledger = openLedger(file);
      const purchase = { userId: 'u1', productId: 'coins', quantity: 2, purchasedAt: '2026-01-01T00:00:00Z', data: { transactionId: 't1' } };
      ledger.apply('evt_1', purchase);
      ledger.apply('evt_1', purchase);
      ledger.apply('evt_2', { ...purchase, data: { transactionId: 't2' } });
      expect(() => ledger.apply('evt_3', { ...purchase, userId: undefined })).toThrow('purchase without userId');
      ledger.close();
      const lags = ledgerLags(
        file,
        new Map([
          ['evt_1', 0],
          ['evt_2', Date.now() + 60_000],
          ['evt_9', 0],
        ]),
      );
      expect(lags).toHaveLength(2);
      expect(lags).toContain(0);
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT quantity FROM entitlements WHERE user_id = ?').get('u1')).toEqual({ quantity: 4 });
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
