import fs from 'node:fs';
import path from 'node:path';
import { abcPolicy, JobError, scheduleOf } from '../../src/delivery';
import { abcEvents, outboundExponentialPolicy, type FeedbackSnapshot, type IssueSnapshot } from '../../src/outbound';
import { disableReason, endingState } from '../../src/outbound/health';

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'abc', `${name}.json`), 'utf8')) as unknown;

/** Field names, nesting and value types; arrays by their first element. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return [value.length === 0 ? 'empty' : shapeOf(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, shapeOf(v)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  }
  return value === null ? 'null' : typeof value;
}

const T = Date.UTC(2024, 0, 15, 10, 30);
const project = { id: 1, name: 'My Project' };
const channel = { id: 1, name: 'Website Feedback' };
const issue: IssueSnapshot = {
  id: 456,
  createdAt: T,
  updatedAt: T,
  name: 'Bug Report',
  description: 'Issue description',
  status: 'IN_PROGRESS',
  externalIssueId: 'EXT-123',
  feedbackCount: 5,
};
const feedback = (values: Record<string, unknown>, issues: IssueSnapshot[]): FeedbackSnapshot => ({ id: 123, createdAt: T, updatedAt: T, values, issues });

describe('ABC event payloads', () => {
  it.each<[string, () => unknown]>([
    [
      'feedback-creation',
      () => abcEvents.feedbackCreation(project, channel, feedback({ message: 'User feedback content', userEmail: 'user@example.com' }, [issue])),
    ],
    ['issue-creation', () => abcEvents.issueCreation(project, { ...issue, status: 'INIT', feedbackCount: 0 })],
    ['issue-status-change', () => abcEvents.issueStatusChange(project, issue, 'INIT')],
    // As the real server sends it (as-sent/): every issue in full, the channel's fields spread.
    [
      'as-sent/issue-addition',
      () => {
        const added: IssueSnapshot = { ...issue, id: 789, description: null, externalIssueId: null, feedbackCount: 1 };
        return abcEvents.issueAddition(project, channel, feedback({ message: 'm', userEmail: 'u@example.com', category: 'bug' }, [issue, added]), added);
      },
    ],
  ])("when %s is built, then it has the fixture's shape", (name, build) => {
    expect(shapeOf(build())).toEqual(shapeOf(fixture(name)));
  });

  it("when a feedback carries extra fields, then they cannot shadow ABC's fields", () => {
    const built = abcEvents.feedbackCreation(project, channel, feedback({ id: 'forged', issues: 'forged', userId: 'u1' }, []));
    expect(built.data.feedback).toMatchObject({ id: 123, userId: 'u1', issues: [] });
  });

  it("when a feedback is built, then its keys come in ABC's order: id, times, the field values, issues", () => {
    const built = abcEvents.feedbackCreation(project, channel, feedback({ message: 'm', category: 'bug' }, [issue]));
    expect(Object.keys(built.data.feedback as object)).toEqual(['id', 'createdAt', 'updatedAt', 'message', 'category', 'issues']);
  });
});

describe('retry policies', () => {
  it('when the abc policy is used, then there are 3 retries 3 s apart', () => {
    expect(scheduleOf(abcPolicy, () => 0.5)).toEqual([3000, 3000, 3000]);
  });

  it.each<[string, number, number, number]>([
    ['the least jitter', 0, 48, 49],
    ['the middle', 0.5, 73, 74],
    ['the most jitter', 0.999999, 97, 98],
  ])('when the exponential policy runs with %s, then the retries span about three days (%s: %i–%i h)', (_label, random, minHours, maxHours) => {
    const total = scheduleOf(outboundExponentialPolicy, () => random).reduce((a, b) => a + b, 0) / 3_600_000;
    expect(total).toBeGreaterThanOrEqual(minHours);
    expect(total).toBeLessThan(maxHours);
  });
});

describe('delivery endings and subscription health', () => {
  const refused = JobError.permanent('400', { errorClass: 'client_error' });
  it.each<[string, { willRetry: boolean; error: Error }, string]>([
    ['a retry is scheduled', { willRetry: true, error: new JobError('500') }, 'pending'],
    ['the answer is not retryable', { willRetry: false, error: refused }, 'failed'],
    ['the retries are exhausted', { willRetry: false, error: new JobError('500', { errorClass: 'server_error' }) }, 'dead'],
    ['a crash used the last attempt', { willRetry: false, error: JobError.permanent('lease', { errorClass: 'LeaseExpired' }) }, 'dead'],
    ['an unexpected error used the last attempt', { willRetry: false, error: new TypeError('bug') }, 'dead'],
  ])('when %s, then the delivery is %s', (_label, failure, state) => {
    expect(endingState(failure)).toBe(state);
  });

  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  const T = Date.UTC(2026, 2, 1);
  const policy = { disableAfter: 5, disableAfterMs: DAY };
  // [label, error class, failures in a row, first failure this long before now (null: none recorded), reason]
  it.each<[string, string | null, number, number | null, string | null]>([
    ['410 Gone, the first failure', 'gone', 1, 0, 'the endpoint answered 410 Gone'],
    ['410 Gone, failing for a minute', 'gone', 3, MIN, 'the endpoint answered 410 Gone'],
    ['a burst: 5 failures within 2 minutes', 'server_error', 5, 2 * MIN, null],
    ['a burst: 500 failures within an hour', 'connection_refused', 500, HOUR, null],
    ['5 failures, the first 1 ms less than 24 h ago', 'server_error', 5, DAY - 1, null],
    ['5 failures, the first 24 h ago', 'server_error', 5, DAY, '5 deliveries in a row failed over 24 h'],
    ['4 failures over three days', 'server_error', 4, 3 * DAY, null],
    ['7 failures over three days', 'client_error', 7, 3 * DAY, '7 deliveries in a row failed over 3 days'],
    ['5 failures, when the run began is unknown', 'server_error', 5, null, null],
    ['no error class, over two days', null, 5, 2 * DAY, '5 deliveries in a row failed over 2 days'],
  ])('when %s, then the disable reason is %p', (_label, errorClass, failuresInARow, ago, reason) => {
    const run = { failuresInARow, failingSince: ago === null ? null : T - ago };
    expect(disableReason(errorClass, run, T, policy)).toBe(reason ?? null);
  });

  it('when the window is 0 and one failure is allowed, then the first failure disables at once', () => {
    expect(disableReason('server_error', { failuresInARow: 1, failingSince: T }, T, { disableAfter: 1, disableAfterMs: 0 })).toBe('1 delivery failed');
  });

  it.each<[string, { disableAfter: number; disableAfterMs: number }, string | null]>([
    ['no waiting (OUTBOUND_DISABLE_AFTER_MS=0)', { disableAfter: 2, disableAfterMs: 0 }, '2 deliveries in a row failed over 90 min'],
    ['a 2-hour window', { disableAfter: 2, disableAfterMs: 2 * HOUR }, null],
    ['a higher count', { disableAfter: 3, disableAfterMs: 0 }, null],
  ])('when 2 failures span 90 minutes under %s, then the disable reason is %p', (_label, limits, reason) => {
    expect(disableReason('server_error', { failuresInARow: 2, failingSince: T - 90 * MIN }, T, limits)).toBe(reason);
  });
});
