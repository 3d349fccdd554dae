import BetterSqlite3 from 'better-sqlite3';
import { PastDeadline, type Tx } from '../../src/storage/port';
import { fn, sql, type Fragment } from '../../src/storage/sql';
import { freshStorage, openStorageOn, type TestStorage } from '../support/backend';

// The storage port's contract, the same on both backends: what the domain may rely on.

let db: TestStorage;
beforeAll(async () => {
  db = await freshStorage();
  await db.storage.write(async (tx) => {
    const raw = (id: string, body: Buffer | null) =>
      tx.run(sql`INSERT INTO raw_requests (id, received_at, method, path, headers, body, body_size, status, outcome, source)
        VALUES (${id}, 1, 'POST', '/Webhooks/Nachocode', '{}', ${body}, 0, 200, 'stored', 'webhook')`);
    await raw('req_a', Buffer.from('{"userId":"u-1","environment":"sandbox","tokenNotFoundUserIds":["u-2","u-3"],"note":"50% OFF"}'));
    await raw('req_b', Buffer.from('not json at all'));
    await raw('req_c', null);
    await raw('req_d', Buffer.from([0x7b, 0xff, 0xc3, 0x28, 0x7d]));
    await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('doc', ${'{"n":42,"at":"2026-03-02T08:15:09.730Z"}'}, 1772439309730)`);
  });
});
afterAll(() => db.remove());

const one = async <T>(expr: Fragment, where: Fragment = sql`id = 'req_a'`) =>
  (await db.storage.read.get<{ v: T }>(sql`SELECT ${expr} AS v FROM raw_requests WHERE ${where}`))?.v;
const ids = async (where: Fragment) =>
  (await db.storage.read.all<{ id: string }>(sql`SELECT id FROM raw_requests WHERE ${where} ORDER BY id`)).map((r) => r.id);

describe('portable functions', () => {
  it.each([
    ['bodyField of a JSON body', () => one(sql`${fn.bodyField(sql`body`, 'userId')}`), 'u-1'],
    ['bodyField of a body that is not JSON', () => one(sql`${fn.bodyField(sql`body`, 'userId')}`, sql`id = 'req_b'`), null],
    ['bodyField of no body', () => one(sql`${fn.bodyField(sql`body`, 'userId')}`, sql`id = 'req_c'`), null],
    ['bodyText of a text body', () => one(sql`${fn.bodyText(sql`body`)}`, sql`id = 'req_b'`), 'not json at all'],
    ['bodyText of bytes that are not UTF-8', () => one(sql`${fn.bodyText(sql`body`)}`, sql`id = 'req_d'`), null],
  ])('%s', async (_name, read, expected) => {
    expect(await read()).toEqual(expected);
  });

  it('bodyArrayHas finds a string in a list of the body, and nothing in a body that is not JSON', async () => {
    expect(await ids(fn.bodyArrayHas(sql`body`, 'tokenNotFoundUserIds', 'u-3'))).toEqual(['req_a']);
    expect(await ids(fn.bodyArrayHas(sql`body`, 'tokenNotFoundUserIds', 'u-9'))).toEqual([]);
  });

  it('likeInsensitive ignores ASCII case, and escapeLike makes wildcards literal', async () => {
    expect(await ids(sql`${fn.likeInsensitive(sql`path`, '/webhooks/%')}`)).toEqual(['req_a', 'req_b', 'req_c', 'req_d']);
    expect(await ids(sql`${fn.likeInsensitive(fn.bodyText(sql`body`), '%50\\% off%')}`)).toEqual(['req_a']);
    expect(await ids(sql`${fn.likeInsensitive(fn.bodyText(sql`body`), '%50\\%x%')}`)).toEqual([]);
  });

  it('inList matches any of the values with one parameter, and an empty list matches nothing', async () => {
    expect(await ids(sql`${fn.inList(sql`id`, ['req_c', 'req_a', 'req_x'])}`)).toEqual(['req_a', 'req_c']);
    expect(await ids(sql`${fn.inList(sql`id`, [])}`)).toEqual([]);
  });

  it('jsonText, jsonNumber, isoToMs and utcDay read a JSON text column the same way', async () => {
    const row = await db.storage.read.get<{ n: number; at: string; ms: number; day: string }>(sql`SELECT
      ${fn.jsonNumber(sql`value`, 'n')} AS n, ${fn.jsonText(sql`value`, 'at')} AS at,
      ${fn.isoToMs(fn.jsonText(sql`value`, 'at'))} AS ms, ${fn.utcDay(sql`updated_at`)} AS day
      FROM meta WHERE key = 'doc'`);
    expect(row).toEqual({ n: 42, at: '2026-03-02T08:15:09.730Z', ms: 1772439309730, day: '2026-03-02' });
  });

  it('offsetOnly skips rows without a limit', async () => {
    const rows = await db.storage.read.all<{ id: string }>(sql`SELECT id FROM raw_requests ORDER BY id ${fn.offsetOnly(1)}`);
    expect(rows.map((r) => r.id)).toEqual(['req_b', 'req_c', 'req_d']);
  });
});

describe('bound limits', () => {
  // The same statement each time, with new values: every run honours its own.
  const page = async (limit: number, offset: number) =>
    (await db.storage.read.all<{ id: string }>(sql`SELECT id FROM raw_requests ORDER BY id LIMIT ${limit} OFFSET ${offset}`)).map((r) => r.id);

  it.each([
    [1, 0, ['req_a']],
    [2, 1, ['req_b', 'req_c']],
    [10, 2, ['req_c', 'req_d']],
    [3, 0, ['req_a', 'req_b', 'req_c']],
    [0, 0, []],
  ])('LIMIT %i OFFSET %i gives %j', async (limit, offset, expected) => {
    expect(await page(limit, offset)).toEqual(expected);
  });
});

describe('lastInsertId', () => {
  it("names the id the transaction's latest insert took, with the insert not yet answered", async () => {
    const [inserted, named] = await db.storage.write(async (tx) => {
      const insert = tx.get<{ id: number }>(
        sql`INSERT INTO projects (name, record_refunds, created_at, updated_at) VALUES ('last-id', ${false}, 1, 1) RETURNING id`,
      );
      const read = tx.get<{ id: number }>(sql`SELECT ${fn.lastInsertId()} AS id`);
      return Promise.all([insert, read]);
    });
    expect(Number(named?.id)).toBe(inserted?.id);
  });
});

describe('writeStatement', () => {
  const metaKeys = async (prefix: string) =>
    (await db.storage.read.all<{ key: string }>(sql`SELECT key FROM meta WHERE key LIKE ${`${prefix}%`} ORDER BY key`)).map((r) => r.key);

  it('when one statement is written, then it has committed when its rows come back', async () => {
    const rows = await db.storage.writeStatement<{ key: string }>(sql`INSERT INTO meta (key, value, updated_at) VALUES ('one-a', 'x', 0) RETURNING key`);
    expect(rows).toEqual([{ key: 'one-a' }]);
    expect(await metaKeys('one-')).toEqual(['one-a']);
  });

  it('when the statement fails, then it wrote nothing and the error reaches the caller', async () => {
    const error = await db.storage
      .writeStatement(sql`INSERT INTO meta (key, value, updated_at) VALUES ('fail-a', 'x', 0), ('doc', 'again', 0)`)
      .catch((e: unknown) => e);
    expect(db.storage.isUniqueViolation(error)).toBe(true);
    expect(await metaKeys('fail-')).toEqual([]);
  });

  it('when its signal is aborted before it runs, then it never runs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('budget spent'));
    const written = db.storage.writeStatement(sql`INSERT INTO meta (key, value, updated_at) VALUES ('aborted-a', 'x', 0)`, { signal: controller.signal });
    await expect(written).rejects.toThrow('budget spent');
    expect(await metaKeys('aborted-')).toEqual([]);
  });

  // Two inserts, the second only where the first inserted: the ingest's shape where WITH may write.
  const chained = (
    key: string,
  ) => sql`WITH first AS (INSERT INTO meta (key, value, updated_at) VALUES (${key}, 'x', 0) ON CONFLICT (key) DO NOTHING RETURNING key)
    , second AS (INSERT INTO meta (key, value, updated_at) SELECT key || '-then', 'y', 0 FROM first RETURNING key)
    SELECT key FROM first`;

  it('when the backend says it writes in WITH, then writes chained by RETURNING are one statement, all or nothing; else it refuses them', async () => {
    if (db.storage.writesInWith) {
      expect(await db.storage.writeStatement(chained('with-a'))).toEqual([{ key: 'with-a' }]);
      expect(await metaKeys('with-')).toEqual(['with-a', 'with-a-then']);
      // The first insert finds its key taken: nothing comes back, and the insert that depends on it inserts nothing.
      await db.storage.write((tx) => tx.run(sql`DELETE FROM meta WHERE key = 'with-a-then'`));
      expect(await db.storage.writeStatement(chained('with-a'))).toEqual([]);
      expect(await metaKeys('with-')).toEqual(['with-a']);
    } else {
      // Caught, not matched with toThrow: the driver's errors may come from another realm than the test's.
      const refused = await db.storage.writeStatement(chained('with-a')).then(
        () => null,
        (error: unknown) => error,
      );
      expect(String((refused as { message?: unknown } | null)?.message)).toMatch(/syntax error/);
      expect(await metaKeys('with-')).toEqual([]);
    }
  });
});

describe('transactions', () => {
  it('when a write closure throws, then none of its writes persist and the error reaches the caller', async () => {
    const failing = db.storage.write(async (tx) => {
      await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('rolled-back', 'x', 0)`);
      throw new Error('no');
    });
    await expect(failing).rejects.toThrow('no');
    expect(await db.storage.read.all(sql`SELECT key FROM meta WHERE key = 'rolled-back'`)).toEqual([]);
  });

  // The receiver's answer budget: past it the request went to the spool, and its write must not
  // land beside its spooled copy with an answer that was never sent.
  it('when a write waits for its turn past its deadline, then it never runs, and a write without one beside it does', async () => {
    const keys = async () => (await db.storage.read.all<{ key: string }>(sql`SELECT key FROM meta WHERE key LIKE 'late-%' ORDER BY key`)).map((r) => r.key);
    const insert = (key: string) => (tx: Tx) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES (${key}, 'x', 0)`);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let storage = db.storage;
    let release: () => Promise<void>;
    if (db.database.url === null) {
      // Another connection holds the file's write lock: BEGIN waits for it.
      const locker = new BetterSqlite3(db.database.env.DATABASE_PATH);
      locker.exec('BEGIN IMMEDIATE');
      release = async () => {
        locker.exec('COMMIT');
        locker.close();
      };
    } else {
      // The pool's one connection is taken: the write waits for it.
      storage = await openStorageOn(db.database, 1);
      const holding = storage.write(() => sleep(300));
      release = async () => {
        await holding;
        await storage.close();
      };
    }
    const late = storage.write(insert('late-deadline'), { deadline: Date.now() + 50 });
    const patient = storage.write(insert('late-patient'));
    await sleep(300);
    const releasing = release();
    expect(await late.catch((e: unknown) => e)).toBeInstanceOf(PastDeadline);
    await patient;
    await releasing;
    expect(await keys()).toEqual(['late-patient']);
  });

  it('when a deadline has passed before the write is asked for, then neither write nor writeStatement runs', async () => {
    const past = { deadline: Date.now() - 1 };
    const errors = await Promise.all([
      db.storage.write((tx) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('past-a', 'x', 0)`), past).catch((e: unknown) => e),
      db.storage.writeStatement(sql`INSERT INTO meta (key, value, updated_at) VALUES ('past-b', 'x', 0)`, past).catch((e: unknown) => e),
    ]);
    expect(errors.map((e) => e instanceof PastDeadline)).toEqual([true, true]);
    expect(await db.storage.read.all(sql`SELECT key FROM meta WHERE key LIKE 'past-%'`)).toEqual([]);
  });

  it('when an insert breaks a unique index, then isUniqueViolation says so', async () => {
    const error = await db.storage.write((tx) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('doc', 'again', 0)`)).catch((e: unknown) => e);
    expect(db.storage.isUniqueViolation(error)).toBe(true);
    expect(db.storage.isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('when two instances read-then-write under the same lock, then no update is lost', async () => {
    const other = await openStorageOn(db.database);
    try {
      await db.storage.write((tx) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('counter', '0', 0)`));
      const bump = (storage: typeof other) =>
        storage.write(async (tx) => {
          await tx.lock('test:counter');
          const row = await tx.get<{ value: string }>(sql`SELECT value FROM meta WHERE key = 'counter'`);
          await tx.run(sql`UPDATE meta SET value = ${String(Number(row!.value) + 1)} WHERE key = 'counter'`);
        });
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 === 0 ? db.storage : other)));
      expect(await db.storage.read.get(sql`SELECT value FROM meta WHERE key = 'counter'`)).toEqual({ value: '20' });
    } finally {
      await other.close();
    }
  });
});
