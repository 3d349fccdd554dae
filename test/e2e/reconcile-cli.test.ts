import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dedupeKey } from '../../src/nachocode/dedupe';
import { purchaseSchema, refundSchema } from '../../src/nachocode/schemas';
import { newId } from '../../src/shared/ids';
import { signToken } from '../../src/http/tokens';
import { sql, type Sql } from '../../src/storage/sql';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/backend';
import { nacho } from '../support/fixtures';
import { JWT_SECRET, startRuntime } from '../support/runtime';
import { openStorageFor, PROJECT_ROOT, serverEnv } from '../support/server';

// `npm run reconcile` as a process: a generated 100,000-row export against a seeded database
// (exact missing / extra / mismatched counts), --ingest twice, exit codes, and --url. The CLI runs
// on the lane's backend: DATABASE_URL on PostgreSQL, DATABASE_PATH on SQLite.

jest.setTimeout(120_000);

const BASE = Date.UTC(2026, 2, 1);
const dirs: string[] = [];
const databases: TestDatabase[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI on a test database (or, for --url, a bare folder: no local database is opened). */
function reconcile(target: TestDatabase | string, args: string[]): Promise<Run> {
  const started = Date.now();
  const env = serverEnv(target, 0, { LOG_LEVEL: 'warn' });
  // What `npm run reconcile` runs (tsx), loaded in-process to spare tsx's extra child process.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

function newDataDir(): string {
  const dir = tempDir('iaphook-e2e-reconcile-');
  dirs.push(dir);
  return dir;
}
async function newDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
}
afterAll(async () => {
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  await Promise.all(databases.map((d) => d.drop()));
});

// ---------------------------------------------------------------------------------------------
// The generated export and ledger

const purchaseBody = (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...nacho.purchaseIos(),
  userId: `user-${i % 5000}`,
  iapLogId: i,
  data: { transactionId: `t-${i}` },
  purchasedAt: new Date(BASE + i * 20_000).toISOString(),
  ...overrides,
});
const refundBody = (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const body = purchaseBody(i);
  for (const key of ['requestedAt', 'verifiedAt', 'purchasedAt']) delete body[key];
  return { ...body, refundQuantity: 1, refundedAt: new Date(BASE + i * 20_000 + 86_400_000).toISOString(), ...overrides };
};

const PURCHASES = 90_000;
// and 10,000 refunds, of purchases 9, 18, … 90,000
const isMissingPurchase = (i: number) => i % 1000 === 0;
const isMissingRefund = (k: number) => k % 500 === 0;
const isMismatched = (i: number) => i % 997 === 0;

/** Writes the export as CSV (webhook field names), streaming-friendly: one row per line. */
function writeExport(file: string): void {
  const header = [
    'userId',
    'iapLogId',
    'nachoProductId',
    'os',
    'productId',
    'productType',
    'quantity',
    'price',
    'environment',
    'data.transactionId',
    'purchasedAt',
    'refundQuantity',
    'refundedAt',
  ];
  const line = (b: Record<string, unknown>) =>
    header.map((h) => (h === 'data.transactionId' ? (b.data as { transactionId: string }).transactionId : (b[h] ?? ''))).join(',');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `${header.join(',')}\n`);
  let chunk: string[] = [];
  const flush = () => {
    fs.writeSync(fd, `${chunk.join('\n')}\n`);
    chunk = [];
  };
  for (let i = 1; i <= PURCHASES; i++) {
    chunk.push(line(purchaseBody(i)));
    if (i % 9 === 0) chunk.push(line(refundBody(i)));
    if (chunk.length >= 5000) flush();
  }
  if (chunk.length > 0) flush();
  fs.closeSync(fd);
}

/** Multi-row inserts: far fewer statements (round trips on PostgreSQL), well under both backends' parameter limits. */
const SEED_CHUNK = 500;

/** Stores events the way the receiver does (same dedupe keys, hashes and payloads), in one transaction. */
async function seedLedger(database: TestDatabase): Promise<void> {
  const rows: Sql[] = [];
  // The bodies are built valid (checked once below); the comparison never reads content_hash.
  const store = (type: 'purchase' | 'refund', body: Record<string, unknown>) => {
    const event = { type, payload: body } as unknown as Parameters<typeof dedupeKey>[0];
    rows.push(
      sql`(${newId('evt', BASE)}, ${type}, 'production', ${dedupeKey(event)}, 'seeded', ${JSON.stringify(body)}, ${body.userId}, ${body.productId}, ${body.iapLogId}, 'applied', 'webhook', ${BASE}, ${BASE})`,
    );
  };
  purchaseSchema.parse(purchaseBody(1));
  refundSchema.parse(refundBody(9));
  for (let i = 1; i <= PURCHASES; i++) {
    if (!isMissingPurchase(i)) store('purchase', purchaseBody(i, isMismatched(i) ? { price: 999 } : {}));
    if (i % 9 === 0 && !isMissingRefund(i / 9)) store('refund', refundBody(i));
  }
  // Only in the ledger: 50 purchases and 10 refunds inside the export's days, 50 purchases before them.
  for (let j = 1; j <= 50; j++) store('purchase', purchaseBody(200_000 + j, { purchasedAt: new Date(BASE + j * 3_600_000).toISOString() }));
  for (let j = 1; j <= 10; j++) store('refund', refundBody(200_000 + j, { refundedAt: new Date(BASE + 10 * 86_400_000 + j * 1000).toISOString() }));
  for (let j = 51; j <= 100; j++) store('purchase', purchaseBody(200_000 + j, { purchasedAt: new Date(BASE - 10 * 86_400_000).toISOString() }));

  const storage = await openStorageFor(database.env);
  try {
    await storage.write(async (tx) => {
      for (let at = 0; at < rows.length; at += SEED_CHUNK) {
        await tx.run(
          sql`INSERT INTO events (id, type, environment, dedupe_key, content_hash, payload, user_id, product_id, iap_log_id, status, source, received_at, updated_at)
              VALUES ${sql.join(rows.slice(at, at + SEED_CHUNK))}`,
        );
      }
    });
  } finally {
    await storage.close();
  }
}

// ---------------------------------------------------------------------------------------------

describe('npm run reconcile', () => {
  it('when a 100,000-row export is compared with the database, then missing, extra and mismatched rows are found exactly', async () => {
    const database = await newDatabase();
    const file = path.join(database.dir, 'export.csv');
    const out = path.join(database.dir, 'report.json');
    writeExport(file);
    await seedLedger(database);

    const run = await reconcile(database, ['--file', file, '--environment', 'production', '--json', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.summary).toMatchObject({
      rows: { read: 100_000, compared: 100_000, matched: 100_000 - 110 - 90, invalid: 0, duplicateInFile: 0 },
      missing: { purchase: 90, refund: 20 },
      extra: { purchase: 50, refund: 10 },
      mismatched: { purchase: 90, refund: 0 },
      discrepancies: 260,
    });
    const ids = (list: Array<{ iapLogId: number; type: string }>, type: string) =>
      list
        .filter((x) => x.type === type)
        .map((x) => x.iapLogId)
        .sort((a, b) => a - b);
    expect(ids(report.missing, 'purchase')).toEqual(Array.from({ length: 90 }, (_v, k) => (k + 1) * 1000));
    expect(ids(report.missing, 'refund')).toEqual(Array.from({ length: 20 }, (_v, k) => (k + 1) * 500 * 9));
    expect(ids(report.extra, 'purchase')).toEqual(Array.from({ length: 50 }, (_v, k) => 200_001 + k));
    expect(
      report.mismatched.every(
        (m: { fields: Array<{ field: string; file: number; ledger: number }> }) => m.fields[0].field === 'price' && m.fields[0].ledger === 999,
      ),
    ).toBe(true);
    expect(run.stdout).toContain('missing from the ledger');
    // Reported, not asserted: the figures for the README and the hand-over note.
    process.stdout.write(
      `reconcile 100,000 rows: wall ${run.ms} ms; ${run.stdout
        .split('\n')
        .filter((l) => l.startsWith('Time'))
        .join('')}\n`,
    );
  });

  it('when --ingest runs twice, then the missing rows are imported and applied once and the second run changes nothing', async () => {
    const database = await newDatabase();
    const rt = await startRuntime({}, { database });
    try {
      await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200);
      await rt.worker.whenIdle();
    } finally {
      await rt.close(5000);
    }
    const file = path.join(database.dir, 'export.jsonl');
    fs.writeFileSync(file, [nacho.purchaseIos(), nacho.purchaseAndroid(), nacho.refundAndroid()].map((b) => JSON.stringify(b)).join('\n'));

    const first = await reconcile(database, ['--file', file, '--environment', 'production', '--ingest']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('--ingest: 2 imported, 0 already there, 0 refused; applied to the ledger.');
    const counts = async () => {
      const storage = await openStorageFor(database.env);
      try {
        const tables = ['events', 'raw_requests', 'ledger_entries', 'purchases', 'jobs', 'anomalies'];
        const n = async (table: string) => (await storage.read.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.raw(table)}`))!.n;
        return {
          ...Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await n(t)]))),
          imported: (await storage.read.all<{ s: string }>(sql`SELECT status || ':' || type AS s FROM events WHERE source = 'import' ORDER BY type, id`)).map(
            (r) => r.s,
          ),
        };
      } finally {
        await storage.close();
      }
    };
    const after = await counts();
    expect(after.imported).toEqual(['applied:purchase', 'applied:refund']);

    const second = await reconcile(database, ['--file', file, '--environment', 'production', '--ingest']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Result: no discrepancies (exit 0).');
    expect(await counts()).toEqual(after);
  });

  it('when the file is a JSON array of webhook bodies, then its rows are read as rows, not as unreadable lines', async () => {
    const database = await newDatabase();
    const rt = await startRuntime({}, { database });
    try {
      await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200);
      await rt.worker.whenIdle();
    } finally {
      await rt.close(5000);
    }
    const bodies = [nacho.purchaseIos(), nacho.purchaseAndroid(), nacho.refundAndroid()];
    // Pretty-printed, as an export or `jq .` writes it: one element spans many lines.
    const file = path.join(database.dir, 'export.json');
    fs.writeFileSync(file, JSON.stringify(bodies, null, 2));
    const out = path.join(database.dir, 'report.json');
    const run = await reconcile(database, ['--file', file, '--environment', 'production', '--json', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.summary).toMatchObject({ format: 'json', rows: { read: 3, compared: 3, matched: 1, invalid: 0 }, missing: { purchase: 1, refund: 1 } });
    // The same file named .jsonl (or --format jsonl) is still recognised by its opening [.
    const asLines = path.join(database.dir, 'export.jsonl');
    fs.copyFileSync(file, asLines);
    const again = await reconcile(database, ['--file', asLines, '--environment', 'production', '--json', out]);
    expect(again.code).toBe(1);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).summary.rows).toMatchObject({ read: 3, invalid: 0 });
  });

  it('when a refused purchase is in the file, then the run lists it as an open anomaly until --ingest stores it', async () => {
    const database = await newDatabase();
    const rt = await startRuntime({}, { database });
    try {
      await rt.post('/webhooks/nachocode', nacho.purchaseAndroid(), 'a-rotated-away-key-000000000').expect(401);
    } finally {
      await rt.close(5000);
    }
    const file = path.join(database.dir, 'export.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(nacho.purchaseAndroid())}\n`);
    const out = path.join(database.dir, 'report.json');
    const first = await reconcile(database, ['--file', file, '--environment', 'production', '--json', out]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('Anomalies in the production ledger: 1 open (rejected_request 1):');
    expect(first.stdout).toMatch(/rejected_request {2}rejected_request:[0-9a-f]{32}\n {4}A POST to \/webhooks\/nachocode was stored but answered 401/);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).summary.anomalies.open.rejected_request).toBe(1);
    const second = await reconcile(database, ['--file', file, '--environment', 'production', '--ingest']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Anomalies in the production ledger: 0 open');
  });

  it('when the arguments or the file are wrong, then it exits 2 with a message', async () => {
    const database = await newDatabase();
    const missing = await reconcile(database, ['--file', path.join(database.dir, 'nope.csv'), '--environment', 'production']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('no file at') });
    const file = path.join(database.dir, 'list.txt');
    fs.writeFileSync(file, '');
    const format = await reconcile(database, ['--file', file, '--environment', 'production']);
    expect(format).toMatchObject({ code: 2, stderr: expect.stringContaining('--format') });
  });

  it('when --url points at a running instance, then it compares over the admin API', async () => {
    const rt = await startRuntime();
    const server = http.createServer(rt.app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      await rt.post('/webhooks/nachocode', nacho.purchaseIos()).expect(200);
      await rt.worker.whenIdle();
      const dataDir = newDataDir();
      const file = path.join(dataDir, 'export.jsonl');
      fs.writeFileSync(file, `${JSON.stringify(nacho.purchaseIos())}\n${JSON.stringify(nacho.purchaseAndroid())}\n`);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const token = signToken(JWT_SECRET, { role: 'admin' });
      const run = await reconcile(dataDir, ['--file', file, '--environment', 'production', '--url', url, '--token', token]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/missing from the ledger\s+1\s+0/);
      expect(run.stdout).toContain(url);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rt.stop();
    }
  });
});
