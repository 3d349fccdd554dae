import type { Answer, StoreOptions } from '../../src/receiver';
import { ThreadIngestStore } from '../../src/storage/sqlite/apply-thread/ingest-store';
import type { StoreCall, StoreReply } from '../../src/storage/sqlite/apply-thread/messages';
import { storeSide } from '../../src/storage/sqlite/apply-thread/store-side';
import { preparedPurchase, rawRecord } from '../support/records';

// The answer budget's deadline crosses to the database thread with each write: that thread may be
// blocked on a lock when the budget ends, and would read a cancel only after running the write.

const raw = rawRecord();
const event = preparedPurchase();
const answer: Answer = { status: 401, body: {}, outcome: 'rejected', reason: 'unauthorized', eventId: null };
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('the database thread is told each write’s deadline', () => {
  it.each<[string, number | undefined]>([
    ['a deadline', 1_700_000_000_400],
    ['none (a write that may land late)', undefined],
  ])('when the HTTP thread asks for writes with %s, then the calls it sends carry it', async (_name, deadline) => {
    const sent: StoreCall[] = [];
    const store = new ThreadIngestStore({ send: (calls) => (sent.push(...calls), true) });
    void store.ingest(raw, event, () => 0, { deadline });
    void store.recordRejected(raw, answer, () => 0, { deadline });
    await flush();
    expect(sent.map((c) => [c.op, 'deadline' in c ? c.deadline : 'none'])).toEqual([
      ['ingest', deadline],
      ['reject', deadline],
    ]);
  });

  it('when the thread runs the calls, then its store gets each one’s deadline with its signal', async () => {
    const seen: Array<[string, StoreOptions]> = [];
    const replies: StoreReply[] = [];
    const run = storeSide({
      store: {
        ingest: async (_raw, _event, _elapsed, options = {}) => (seen.push(['ingest', options]), { kind: 'stored', eventId: 'evt_1' }),
        recordRejected: async (_raw, _answer, _elapsed, options = {}) => (seen.push(['reject', options]), 'recorded'),
      },
      reply: (r) => replies.push(...r),
      onStored: () => undefined,
    });
    run([
      { op: 'ingest', id: 1, raw, event, startedAt: 0, deadline: 500 },
      { op: 'reject', id: 2, raw, answer, startedAt: 0 },
    ]);
    // The writes settle, then their replies go out together on the next turn.
    await flush();
    await flush();
    expect(seen.map(([op, o]) => [op, o.deadline, o.signal instanceof AbortSignal])).toEqual([
      ['ingest', 500, true],
      ['reject', undefined, true],
    ]);
    expect(replies.map((r) => [r.id, r.ok])).toEqual([
      [1, true],
      [2, true],
    ]);
  });
});
