import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool, type SpoolFs } from '../../src/spool/spool';
import type { SpoolEntry } from '../../src/spool/format';
import { rawRecord } from '../support/records';

function entry(n: number): SpoolEntry {
  return {
    kind: 'rejected',
    spooledAt: n,
    reason: 'test',
    durationMs: 1,
    raw: rawRecord({ id: `req_${n}`, receivedAt: n, path: '/webhooks/nachocode', headers: {}, body: Buffer.from(`{"n":${n}}`), bodySize: 7 }),
    answer: { status: 401, body: {}, outcome: 'rejected', reason: 'unauthorized', eventId: null },
  };
}

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** The real fs with one operation replaced. */
function failing(op: keyof SpoolFs, error: Error, times = Number.POSITIVE_INFINITY): SpoolFs {
  let left = times;
  return new Proxy(fs, {
    get(target, prop: string) {
      const real = (target as unknown as Record<string, (...args: unknown[]) => unknown>)[prop];
      if (prop !== op) return real;
      return (...args: unknown[]) => {
        if (left <= 0) return real(...args);
        left -= 1;
        throw error;
      };
    },
  }) as SpoolFs;
}

describe('spool files', () => {
  let dir: string;
  let clock = 1_000;
  const now = () => clock++;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-spool-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when entries are appended, then take returns them in order from a closed segment', () => {
    const spool = new Spool(path.join(dir, 'spool'), { now });
    spool.append(entry(1));
    spool.append(entry(2));
    const segments = spool.take();
    expect(segments).toHaveLength(1);
    expect(segments[0].entries.map((e) => e.raw.id)).toEqual(['req_1', 'req_2']);
    expect(segments[0].bad).toBe(0);
  });

  it('when an entry is appended after take, then it goes to a new segment, read after the first', () => {
    const spool = new Spool(dir, { now });
    spool.append(entry(1));
    const [first] = spool.take();
    spool.append(entry(2));
    const segments = spool.take();
    expect(segments.map((s) => s.entries[0].raw.id)).toEqual(['req_1', 'req_2']);
    expect(segments[0].name).toBe(first.name);
    spool.close();
  });

  it('when a segment is finished, then its file is gone', () => {
    const spool = new Spool(dir, { now });
    spool.append(entry(1));
    const [segment] = spool.take();
    spool.finish(segment);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(spool.take()).toEqual([]);
  });

  it('when a finished segment had unreadable lines, then it is kept aside as .bad', () => {
    const spool = new Spool(dir, { now });
    spool.append(entry(1));
    spool.close();
    const [name] = fs.readdirSync(dir);
    fs.appendFileSync(path.join(dir, name), '{"torn":');
    const [segment] = spool.take();
    expect(segment.bad).toBe(1);
    spool.finish(segment);
    expect(fs.readdirSync(dir)).toEqual([`${name}.bad`]);
  });

  it('when the spool folder does not exist yet, then take finds nothing', () => {
    expect(new Spool(path.join(dir, 'missing')).take()).toEqual([]);
  });

  it.each<[string, keyof SpoolFs, string]>([
    ['the disk is full while writing', 'writeSync', 'ENOSPC'],
    ['the sync fails', 'fdatasyncSync', 'EIO'],
    ['the folder is read-only', 'openSync', 'EROFS'],
    ['the folder cannot be created', 'mkdirSync', 'EACCES'],
  ])('when %s, then append throws and leaves no partial entry behind', (_name, op, code) => {
    const spool = new Spool(dir, { now, fs: failing(op, errno(code)) });
    expect(() => spool.append(entry(1))).toThrow(code);
    expect(new Spool(dir).take().flatMap((s) => s.entries)).toEqual([]);
  });

  it('when one write fails halfway, then the partial line is cut and the next append starts a clean segment', () => {
    let calls = 0;
    const halfThenFail = new Proxy(fs, {
      get(target, prop: string) {
        if (prop !== 'writeSync') return (target as unknown as Record<string, unknown>)[prop];
        return (fd: number, buffer: Buffer, offset: number, length: number) => {
          calls += 1;
          if (calls === 2) {
            fs.writeSync(fd, buffer, offset, Math.floor(length / 2));
            throw errno('ENOSPC');
          }
          return fs.writeSync(fd, buffer, offset, length);
        };
      },
    }) as SpoolFs;
    const spool = new Spool(dir, { now, fs: halfThenFail });
    spool.append(entry(1));
    expect(() => spool.append(entry(2))).toThrow('ENOSPC');
    spool.append(entry(3));
    const segments = spool.take();
    expect(segments.flatMap((s) => s.entries.map((e) => e.raw.id))).toEqual(['req_1', 'req_3']);
    expect(segments.reduce((n, s) => n + s.bad, 0)).toBe(0);
  });

  /** The real fs, counting syncs of files and of the folder. */
  function counting(): { fs: SpoolFs; syncs: { data: number; dir: number } } {
    const syncs = { data: 0, dir: 0 };
    const counted = new Proxy(fs, {
      get(target, prop: string) {
        const real = (target as unknown as Record<string, (...args: unknown[]) => unknown>)[prop];
        if (prop === 'fdatasyncSync') return (...args: unknown[]) => ((syncs.data += 1), real(...args));
        if (prop === 'fsyncSync') return (...args: unknown[]) => ((syncs.dir += 1), real(...args));
        return real;
      },
    }) as SpoolFs;
    return { fs: counted, syncs };
  }

  it('when an entry is appended without sync, then it is in the file at once and synced when the segment is closed', () => {
    const { fs: counted, syncs } = counting();
    const spool = new Spool(dir, { now, fs: counted });
    spool.append(entry(1), { sync: false });
    expect(syncs).toEqual({ data: 0, dir: 0 });
    // Written, not just buffered: another reader (a process started after this one was killed) sees it.
    const [name] = fs.readdirSync(dir);
    expect(fs.readFileSync(path.join(dir, name), 'utf8')).toContain('"req_1"');
    expect(spool.take().flatMap((s) => s.entries.map((e) => e.raw.id))).toEqual(['req_1']);
    expect(syncs.data).toBe(1);
    expect(syncs.dir).toBeGreaterThanOrEqual(1);
  });

  it('when a synced append follows unsynced ones, then one sync covers them all', () => {
    const { fs: counted, syncs } = counting();
    const spool = new Spool(dir, { now, fs: counted });
    spool.append(entry(1), { sync: false });
    spool.append(entry(2), { sync: false });
    spool.append(entry(3));
    expect(syncs).toEqual({ data: 1, dir: 1 });
    spool.close();
    // Nothing left to sync when the segment closes.
    expect(syncs).toEqual({ data: 1, dir: 1 });
  });

  it('when the kernel writes a line in several pieces, then all of it reaches the file', () => {
    const inPieces = new Proxy(fs, {
      get(target, prop: string) {
        if (prop !== 'writeSync') return (target as unknown as Record<string, unknown>)[prop];
        return (fd: number, buffer: Buffer, offset: number, length: number) => fs.writeSync(fd, buffer, offset, Math.min(length, 5));
      },
    }) as SpoolFs;
    const spool = new Spool(dir, { now, fs: inPieces });
    spool.append(entry(7));
    expect(spool.take()[0].entries[0].raw.body).toEqual(Buffer.from('{"n":7}'));
  });
});
