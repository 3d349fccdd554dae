import { filterConditions, type RequestFilter } from '../../src/inspector/filters';
import { pgRenderer } from '../../src/storage/postgres/dialect';
import { sqliteRenderer } from '../../src/storage/sqlite/dialect';
import { compile, sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/db';

// The inspector's filters as SQL conditions on raw_requests, run against the backend under test
// over a fixed set of rows: every condition must select exactly the rows the filter means, on
// either engine, and every value a user typed must travel as a bound parameter.

const T0 = Date.UTC(2026, 2, 1);
const BIN = 'bin_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const PURCHASE = '/webhooks/nachocode/purchase';

interface Seed {
  label: string;
  path?: string;
  method?: string;
  outcome: string;
  reason?: string;
  source?: string;
  binId?: string;
  body: Buffer | string | object | null;
}

const ios = { userId: 'user-7f3a', environment: 'production', productId: 'com.example.app.coins100' };
/** Oldest first; each a second after the one before. */
const SEEDS: Seed[] = [
  { label: 'ios', outcome: 'stored', body: ios },
  { label: 'ios-again', outcome: 'duplicate', body: ios },
  { label: 'sandbox', outcome: 'stored', body: { userId: 'user-7f3a', environment: 'sandbox', productId: 'com.example.app.gems10' } },
  {
    label: 'refund',
    path: '/webhooks/nachocode/refund',
    outcome: 'stored',
    body: { userId: 'user-19c2', environment: 'production', productId: 'com.example.app.premium_unlock' },
  },
  {
    label: 'unavailable',
    path: '/webhooks/nachocode',
    outcome: 'stored',
    body: { tokenNotFoundUserIds: ['user-0107', 'user-7f3a-x'], tokenInvalidUserIds: ['user-0200'] },
  },
  { label: 'unauthorized', outcome: 'rejected', reason: 'unauthorized', body: { userId: 'user-7f3a', environment: 'production' } },
  { label: 'bad-json', outcome: 'rejected', reason: 'invalid_json', body: '{"userId": "user-7f3a", "note": "50% off_sale",' },
  { label: 'not-utf8', outcome: 'rejected', reason: 'invalid_json', body: Buffer.from([0x7b, 0xff, 0xc3, 0x28, 0x7d]) },
  { label: 'no-body', method: 'GET', outcome: 'rejected', reason: 'method_not_allowed', body: null },
  { label: 'array-body', outcome: 'rejected', reason: 'validation_failed', body: [{ userId: 'user-7f3a', environment: 'production' }] },
  { label: 'replay', outcome: 'duplicate', source: 'replay', body: ios },
  { label: 'captured', path: `/bins/${BIN}/hook`, outcome: 'captured', source: 'bin', binId: BIN, body: { userId: 'user-0107', environment: 'sandbox' } },
  { label: 'upper-case-path', path: '/WEBHOOKS/NachoCode/Refund', outcome: 'rejected', reason: 'not_found', body: null },
  { label: 'wildcard-path', path: '/a_b%/x', outcome: 'rejected', reason: 'not_found', body: null },
  { label: 'look-alike-path', path: '/aXbY/x', outcome: 'rejected', reason: 'not_found', body: null },
];
const ALL = SEEDS.map((s) => s.label);
const bytes = (body: Seed['body']) =>
  body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');

let db: TestStorage;
/** label → raw request id */
const ids = new Map<string, string>();

beforeAll(async () => {
  db = await freshStorage();
  await db.storage.write(async (tx) => {
    for (const [i, seed] of SEEDS.entries()) {
      const id = `req_01KTEST${String(i).padStart(19, '0')}`;
      const body = bytes(seed.body);
      await tx.run(sql`INSERT INTO raw_requests (id, received_at, method, path, headers, body, body_size, status, outcome, reason, source, bin_id)
        VALUES (${id}, ${T0 + i * 1000}, ${seed.method ?? 'POST'}, ${seed.path ?? PURCHASE}, '{}', ${body}, ${body?.length ?? 0},
          ${seed.outcome === 'rejected' ? 400 : 200}, ${seed.outcome}, ${seed.reason ?? null}, ${seed.source ?? 'webhook'}, ${seed.binId ?? null})`);
      ids.set(seed.label, id);
    }
  });
});
afterAll(() => db.remove());

/** The labels of the rows the filter selects, oldest first. */
async function matching(filter: RequestFilter): Promise<string[]> {
  const rows = await db.storage.read.all<{ id: string }>(sql`SELECT id FROM raw_requests WHERE ${sql.and(filterConditions(filter))} ORDER BY id`);
  return rows.map((r) => [...ids].find(([, id]) => id === r.id)?.[0] ?? r.id);
}

describe('filterConditions', () => {
  it('when no filter is set, then there is no condition and every request matches', async () => {
    expect(filterConditions({})).toEqual([]);
    expect(await matching({})).toEqual(ALL);
  });

  it.each<[string, RequestFilter, string[]]>([
    ['outcomes', { outcome: ['stored', 'duplicate'] }, ['ios', 'ios-again', 'sandbox', 'refund', 'unavailable', 'replay']],
    ['one outcome', { outcome: ['captured'] }, ['captured']],
    ['a reason', { reason: 'unauthorized' }, ['unauthorized']],
    ['a path', { path: '/webhooks/nachocode/refund' }, ['refund', 'upper-case-path']],
    [
      'a path prefix',
      { path: '/webhooks/nachocode' },
      ['ios', 'ios-again', 'sandbox', 'refund', 'unavailable', 'unauthorized', 'bad-json', 'not-utf8', 'no-body', 'array-body', 'replay', 'upper-case-path'],
    ],
    ['a path in another case', { path: '/Webhooks/NACHOCODE/refund' }, ['refund', 'upper-case-path']],
    ['a path with LIKE wildcards', { path: '/a_b%' }, ['wildcard-path']],
    ['an environment', { environment: 'sandbox' }, ['sandbox', 'captured']],
    ['the other environment', { environment: 'production' }, ['ios', 'ios-again', 'refund', 'unauthorized', 'replay']],
    ['free text', { q: 'coins100' }, ['ios', 'ios-again', 'replay']],
    ['free text in another case', { q: 'PREMIUM_UNLOCK' }, ['refund']],
    ['free text with LIKE wildcards', { q: '50% off_sale' }, ['bad-json']],
    ['free text whose wildcards would match if not escaped', { q: '50_%' }, []],
    ['free text in a body that is not JSON', { q: '"userId": "user-7f3a",' }, ['bad-json']],
    ['a source', { source: 'replay' }, ['replay']],
    ['a bin', { binId: BIN }, ['captured']],
    ['a time range', { from: T0 + 2000, to: T0 + 5000 }, ['sandbox', 'refund', 'unavailable']],
  ])('when filtering by %s, then exactly the matching requests are selected', async (_name, filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it('when filtering by user id, then the body userId and both unavailable-users lists are checked', async () => {
    // Not a body that is not JSON, not a JSON array, not an id that merely starts the same.
    expect(await matching({ userId: 'user-7f3a' })).toEqual(['ios', 'ios-again', 'sandbox', 'unauthorized', 'replay']);
    expect(await matching({ userId: 'user-0107' })).toEqual(['unavailable', 'captured']);
    expect(await matching({ userId: 'user-0200' })).toEqual(['unavailable']);
  });

  it('when several filters are set, then they are all required', async () => {
    expect(await matching({ outcome: ['rejected'], reason: 'unauthorized' })).toEqual(['unauthorized']);
    expect(await matching({ outcome: ['rejected'], reason: 'invalid_json' })).toEqual(['bad-json', 'not-utf8']);
    expect(await matching({ userId: 'user-7f3a', environment: 'sandbox' })).toEqual(['sandbox']);
    expect(await matching({ outcome: ['stored'], reason: 'unauthorized' })).toEqual([]);
  });

  const HOSTILE = `x' OR '1'='1' --`;
  it.each<[string, RequestFilter]>([
    ['a reason', { reason: HOSTILE }],
    ['a path', { path: HOSTILE }],
    ['a user id', { userId: HOSTILE }],
    ['free text', { q: HOSTILE }],
    ['a bin', { binId: HOSTILE }],
  ])('when %s carries SQL, then it is a bound value on both engines and matches nothing', async (_name, filter) => {
    expect(await matching(filter)).toEqual([]);
    for (const renderer of [sqliteRenderer, pgRenderer]) {
      const { text, params } = compile(sql`SELECT id FROM raw_requests WHERE ${sql.and(filterConditions(filter))}`, renderer);
      expect(text).not.toContain(HOSTILE);
      expect(text).not.toContain("'1'='1'");
      expect(params.some((p) => typeof p === 'string' && p.includes("'1'='1'"))).toBe(true);
    }
  });
});
