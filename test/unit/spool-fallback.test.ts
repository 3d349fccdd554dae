import pino from 'pino';
import { SpoolDrainer } from '../../src/spool/drainer';
import { writeOrSpool, type SpoolFallback } from '../../src/spool/fallback';
import type { Segment } from '../../src/spool/spool';
import type { RestoreResult, SpoolEntry } from '../../src/spool/format';
import { AppError } from '../../src/shared/errors';
import { PastDeadline } from '../../src/storage/port';

const entry = (reason: string) => ({ kind: 'rejected', reason, raw: { id: `req_${reason}` } }) as unknown as SpoolEntry;

function fallback(append: (e: SpoolEntry) => void = () => undefined): SpoolFallback & { spooled: SpoolEntry[] } {
  const spooled: SpoolEntry[] = [];
  return {
    spooled,
    budgetMs: 1000,
    spool: { append: (e) => (append(e), spooled.push(e)) },
  };
}

describe('writeOrSpool', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when the write commits within the budget, then its value is returned and nothing is spooled', async () => {
    const f = fallback();
    await expect(writeOrSpool(f, async () => 42, entry)).resolves.toEqual({ kind: 'written', value: 42 });
    expect(f.spooled).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('when the write fails, then the request is spooled with the reason and onSpooled hears of it', async () => {
    const f = fallback();
    const heard: SpoolEntry[] = [];
    f.onSpooled = (e) => heard.push(e);
    const result = await writeOrSpool(f, () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')), entry);
    expect(result).toEqual({ kind: 'spooled', reason: 'the database write failed: SQLITE_FULL: database or disk is full' });
    expect(f.spooled.map((e) => e.reason)).toEqual([result.kind === 'spooled' ? result.reason : '']);
    expect(heard).toEqual(f.spooled);
  });

  it('when the budget runs out first, then the request is spooled and the write is told to give up', async () => {
    const f = fallback();
    let signal: AbortSignal | undefined;
    const pending = writeOrSpool(f, (guard) => ((signal = guard.signal), new Promise<never>(() => undefined)), entry);
    jest.advanceTimersByTime(999);
    expect(f.spooled).toEqual([]);
    jest.advanceTimersByTime(1);
    await expect(pending).resolves.toEqual({ kind: 'spooled', reason: 'not committed within the 1000 ms answer budget' });
    expect(signal?.aborted).toBe(true);
  });

  it('when the write lands after the budget sent it to the spool, then nothing changes', async () => {
    const f = fallback();
    let finish: (v: number) => void = () => undefined;
    const pending = writeOrSpool(f, () => new Promise<number>((resolve) => (finish = resolve)), entry);
    jest.advanceTimersByTime(1000);
    finish(1);
    await expect(pending).resolves.toMatchObject({ kind: 'spooled' });
    expect(f.spooled).toHaveLength(1);
  });

  // The abort reaches a write only when its thread reads messages; the deadline is read when its turn comes.
  it.each([
    ['the fallback’s', undefined, 1000],
    ['the call’s', 50, 50],
  ])('when the write starts, then it is told the deadline %s budget ends at', async (_name, budgetMs, expected) => {
    const f = fallback();
    const start = Date.now();
    let deadline: number | undefined;
    void writeOrSpool(f, (guard) => ((deadline = guard.deadline), Promise.resolve(1)), entry, { budgetMs });
    expect(deadline).toBe(start + expected);
  });

  it('when the write is refused at its turn for its deadline, then the request is spooled as over budget, not as a failed write', async () => {
    const f = fallback();
    const result = await writeOrSpool(f, (guard) => Promise.reject(new PastDeadline(guard.deadline!)), entry, { budgetMs: 50 });
    expect(result).toEqual({ kind: 'spooled', reason: 'not committed within the 50 ms answer budget' });
    // As the database thread's reply rebuilds it: a message and a code.
    const copy = Object.assign(new Error('past its deadline'), { code: new PastDeadline(0).code });
    await expect(writeOrSpool(fallback(), () => Promise.reject(copy), entry, { budgetMs: 50 })).resolves.toMatchObject({
      reason: 'not committed within the 50 ms answer budget',
    });
  });

  it("when a budget is given for the call, then it replaces the fallback's", async () => {
    const f = fallback();
    const pending = writeOrSpool(f, () => new Promise<never>(() => undefined), entry, { budgetMs: 50 });
    jest.advanceTimersByTime(49);
    expect(f.spooled).toEqual([]);
    jest.advanceTimersByTime(1);
    await expect(pending).resolves.toEqual({ kind: 'spooled', reason: 'not committed within the 50 ms answer budget' });
  });

  it('when keepWriting and the budget runs out, then the request is spooled and the write goes on, handed back to land later', async () => {
    const f = fallback();
    let signal: AbortSignal | undefined;
    let finish: (v: number) => void = () => undefined;
    let deadline: number | undefined = -1;
    const pending = writeOrSpool(
      f,
      (guard) => ((signal = guard.signal), (deadline = guard.deadline), new Promise<number>((resolve) => (finish = resolve))),
      entry,
      {
        budgetMs: 50,
        keepWriting: true,
      },
    );
    jest.advanceTimersByTime(50);
    const result = await pending;
    expect(result).toMatchObject({ kind: 'spooled', reason: 'not committed within the 50 ms answer budget' });
    expect(f.spooled).toHaveLength(1);
    expect(signal?.aborted).toBe(false);
    // Its late landing is wanted: nothing tells it when to stop.
    expect(deadline).toBeUndefined();
    finish(7);
    await expect(result.kind === 'spooled' ? result.writing : undefined).resolves.toBe(7);
  });

  it('when sync is false, then the spool is asked to write the line without syncing it', async () => {
    const options: unknown[] = [];
    const f = fallback();
    f.spool = { append: (e, o) => (options.push(o), f.spooled.push(e)) };
    await writeOrSpool(f, () => Promise.reject(new Error('SQLITE_BUSY')), entry, { sync: false });
    await writeOrSpool(f, () => Promise.reject(new Error('SQLITE_BUSY')), entry);
    expect(options).toEqual([{ sync: false }, { sync: true }]);
  });

  it('when keepWriting and the write fails, then the request is spooled with nothing left to wait for', async () => {
    const f = fallback();
    const result = await writeOrSpool(f, () => Promise.reject(new Error('SQLITE_BUSY')), entry, { keepWriting: true });
    expect(result).toEqual({ kind: 'spooled', reason: 'the database write failed: SQLITE_BUSY' });
  });

  it.each<[string, () => Promise<number>]>([
    ['the write fails', () => Promise.reject(new Error('SQLITE_IOERR'))],
    ['the budget runs out', () => new Promise<number>(() => undefined)],
  ])('when %s and the spool cannot be written either, then it is a 503 AppError', async (_name, write) => {
    const f = fallback(() => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    });
    const pending = writeOrSpool(f, write, entry);
    jest.advanceTimersByTime(1000);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).toBody().error.code).toBe('service_unavailable');
  });

  it('when there is no fallback, then the write runs as before and its error propagates', async () => {
    await expect(writeOrSpool(undefined, async () => 'x', entry)).resolves.toEqual({ kind: 'written', value: 'x' });
    await expect(writeOrSpool(undefined, () => Promise.reject(new Error('boom')), entry)).rejects.toThrow('boom');
  });
});

describe('SpoolDrainer', () => {
  const logger = pino({ level: 'silent' });
  const segment = (name: string, ids: string[], bad = 0): Segment => ({ name, bad, entries: ids.map(entry) });

  function spoolWith(segments: Segment[]) {
    const finished: string[] = [];
    return { finished, take: () => segments.filter((s) => !finished.includes(s.name)), finish: (s: Segment) => void finished.push(s.name) };
  }

  it('when segments are drained, then every entry is restored in order, reported, and each segment is finished', async () => {
    const spool = spoolWith([segment('a', ['1', '2']), segment('b', ['3'], 1)]);
    const restored: string[] = [];
    const heard: Array<[string, string]> = [];
    const drainer = new SpoolDrainer({
      spool,
      logger,
      restore: async (e): Promise<RestoreResult> => (restored.push(e.reason), e.reason === '2' ? { kind: 'already' } : { kind: 'stored', eventId: 'evt' }),
      onRestored: (result, e) => heard.push([result.kind, e.raw.id]),
    });
    const report = await drainer.drain();
    expect(restored).toEqual(['1', '2', '3']);
    // Every entry now in the database is reported with its raw request id, also one stored before.
    expect(heard).toEqual([
      ['stored', 'req_1'],
      ['already', 'req_2'],
      ['stored', 'req_3'],
    ]);
    expect(spool.finished).toEqual(['a', 'b']);
    expect(report).toEqual({ segments: 2, restored: 2, already: 1, bad: 1, error: null });
    await drainer.stop();
  });

  it('when the database still fails, then the segment stays and a retry is scheduled', async () => {
    jest.useFakeTimers();
    const spool = spoolWith([segment('a', ['1'])]);
    let failing = true;
    const drainer = new SpoolDrainer({
      spool,
      logger,
      retryMs: 500,
      restore: async () => {
        if (failing) throw new Error('SQLITE_BUSY: database is locked');
        return { kind: 'stored', eventId: 'evt' };
      },
    });
    const first = await drainer.drain();
    expect(first.error?.message).toContain('SQLITE_BUSY');
    expect(spool.finished).toEqual([]);
    failing = false;
    jest.advanceTimersByTime(500);
    jest.useRealTimers();
    await new Promise((r) => setImmediate(r));
    await drainer.drain();
    expect(spool.finished).toEqual(['a']);
    await drainer.stop();
  });

  it('when drain is called while a pass runs, then both share that pass', async () => {
    const drainer = new SpoolDrainer({ spool: spoolWith([segment('a', ['1'])]), logger, restore: async () => ({ kind: 'recorded' }) });
    const [a, b] = [drainer.drain(), drainer.drain()];
    expect(a).toBe(b);
    await a;
    await drainer.stop();
  });
});
