import { ManualClock } from '../../src/shared/clock';
import * as abc from '../support/abc-listener';
import { startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber, type Recorded } from '../support/subscriber';
import { adminApi, bodyOf, settle } from './outbound-support';

// The contract with consumers written against ABC User Feedback's server: for every event, the
// request iaphook sent is compared key by key with the body ABC's listener builds from the same
// stored feedback, issues, channel and project (test/support/abc-listener.ts), read right after
// the change, as ABC's listener reads them. A channel with a field of every type; the clock moves
// a minute per step, so a time that does not move where ABC's does shows as a difference.

type Json = unknown;

/** Every difference between two JSON values, one line per path: a missing key, an extra key, another value. */
function keyDiff(expected: Json, actual: Json, path = ''): string[] {
  const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return [`${path}: ${expected.length} items expected, ${actual.length} sent`];
    return expected.flatMap((item, i) => keyDiff(item, actual[i], `${path}[${i}]`));
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    return keys.flatMap((key) => {
      const at = path === '' ? key : `${path}.${key}`;
      if (!(key in actual)) return [`${at}: missing (ABC sends ${JSON.stringify(expected[key])})`];
      if (!(key in expected)) return [`${at}: not sent by ABC (iaphook sent ${JSON.stringify(actual[key])})`];
      return keyDiff(expected[key], actual[key], at);
    });
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`${path}: ABC sends ${JSON.stringify(expected)}, iaphook sent ${JSON.stringify(actual)}`];
}

/** ABC loads feedback.issues through a relation, in no defined order: both sides are compared by issue id. */
function issuesById(body: { data: Record<string, unknown> }) {
  const feedback = body.data.feedback as { issues?: Array<{ id: number }> } | undefined;
  feedback?.issues?.sort((a, b) => a.id - b.id);
  return body;
}

const MINUTE = 60_000;
const FIELDS = [
  { key: 'message', type: 'text', required: true },
  { key: 'userEmail', type: 'keyword', email: true },
  { key: 'category', type: 'select', options: ['bug', 'idea'], required: true },
  { key: 'platforms', type: 'multiSelect', options: ['ios', 'android', 'web'] },
  { key: 'rating', type: 'number' },
  { key: 'seenAt', type: 'date' },
  { key: 'appVersion', type: 'keyword' },
  { key: 'note', type: 'text' },
];

let clock: ManualClock;
/** Moves the clock once no delivery is in flight: a jump while one runs would expire its lease. */
async function later(ms: number): Promise<void> {
  await settle(rt);
  clock.advance(ms);
}
let rt: TestRuntime;
let api: ReturnType<typeof adminApi>;
let sub: Subscriber;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  rt = await startRuntime({}, { clock });
  api = adminApi(rt);
  sub = await Subscriber.start();
  await api.createWebhook(sub.url, { name: 'all events' });
});
afterEach(async () => {
  await sub.close();
  await rt.stop();
});

describe('what a consumer of ABC gets, event by event', () => {
  it("when every event happens in a channel with a field of every type, then each request iaphook sent equals ABC's key by key", async () => {
    const expected = new Map<string, { event: string; data: Record<string, unknown> }>();
    const step = () => later(MINUTE);
    const channel = (await api.post(`/projects/${api.projectId}/channels`, { name: 'Website feedback', fields: FIELDS }).expect(201)).body as { id: number };
    const feedbacks = `/projects/${api.projectId}/channels/${channel.id}/feedbacks`;

    await step();
    const existing = await api.createIssue('Existing issue', { description: 'Reported before', externalIssueId: 'EXT-456' });
    expected.set(existing.eventId, await abc.issueCreation(rt.storage.read, existing.id));

    await step();
    const first = (
      await api
        .post(feedbacks, {
          message: 'The purchase button does nothing',
          userEmail: 'user@example.com',
          category: 'bug',
          platforms: ['ios', 'web'],
          rating: 2.5,
          seenAt: '2026-03-01T18:04:05.000Z',
          appVersion: '3.1.0',
          issueIds: [existing.id],
        })
        .expect(201)
    ).body as { id: number; eventId: string };
    expected.set(first.eventId, await abc.feedbackCreation(rt.storage.read, first.id));

    await step();
    const added = await api.createIssue('Newly added issue');
    expected.set(added.eventId, await abc.issueCreation(rt.storage.read, added.id));

    await step();
    const review = (await api.patch(`/projects/${api.projectId}/issues/${added.id}`, { status: 'ON_REVIEW' }).expect(200)).body as { eventId: string };
    expected.set(review.eventId, await abc.issueStatusChange(rt.storage.read, added.id, 'INIT'));

    await step();
    const addition = (await api.post(`${feedbacks}/${first.id}/issues`, { issueId: added.id }).expect(201)).body as { eventId: string };
    expected.set(addition.eventId, await abc.issueAddition(rt.storage.read, first.id, added.id));

    await step();
    const second = (await api.post(feedbacks, { message: 'Still broken', category: 'idea', issueNames: ['Newly added issue', 'Brand new issue'] }).expect(201))
      .body as { id: number; eventId: string; issues: Array<{ id: number; name: string }> };
    expected.set(second.eventId, await abc.feedbackCreation(rt.storage.read, second.id));
    const brandNew = second.issues.find((i) => i.name === 'Brand new issue')!;

    await settle(rt);
    const sent = new Map(sub.requests.map((r: Recorded) => [String(r.headers['webhook-id']), bodyOf(r)]));
    // The issue that issueNames created has its ISSUE_CREATION too (its event id is not in the answer).
    const created = [...sent].filter(([, b]) => b.event === 'ISSUE_CREATION' && (b.data.issue as { id: number }).id === brandNew.id);
    expect(created).toHaveLength(1);
    expect(sent.size).toBe(expected.size + 1);

    for (const [eventId, body] of expected) {
      expect({ event: body.event, differences: keyDiff(issuesById(body), issuesById(sent.get(eventId)!)) }).toEqual({ event: body.event, differences: [] });
    }

    // What the comparison covers, spelled out: custom values of every type, spread as ABC spreads
    // them; the optional field left out is absent; the addition moved both times and the count.
    const creation = sent.get(first.eventId)!.data.feedback as Record<string, unknown>;
    expect(creation).toMatchObject({ category: 'bug', platforms: ['ios', 'web'], rating: 2.5, seenAt: '2026-03-01T18:04:05.000Z', appVersion: '3.1.0' });
    expect(creation).not.toHaveProperty('note');
    const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes)).toISOString();
    const sentAddition = sent.get(addition.eventId)!.data as { feedback: { createdAt: string; updatedAt: string }; addedIssue: Record<string, unknown> };
    expect(sentAddition.feedback).toMatchObject({ createdAt: at(2), updatedAt: at(5) });
    expect(sentAddition.addedIssue).toMatchObject({ createdAt: at(3), updatedAt: at(5), feedbackCount: 1, status: 'ON_REVIEW' });
    const secondFeedback = sent.get(second.eventId)!.data.feedback as { issues: Array<{ id: number; updatedAt: string; feedbackCount: number }> };
    expect(secondFeedback.issues.find((i) => i.id === added.id)).toMatchObject({ updatedAt: at(6), feedbackCount: 2 });
    // No ISSUE_ADDITION for issues named at creation: there was only the explicit one.
    expect([...sent.values()].filter((b) => b.event === 'ISSUE_ADDITION')).toHaveLength(1);
  });

  it("when feedback is filed under an issue at creation, then the issue's updatedAt and feedbackCount move in that FEEDBACK_CREATION, as ABC's", async () => {
    const issue = await api.createIssue('Crash on launch');
    await later(MINUTE);
    const feedback = (
      await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks`, { message: 'crashes', issueIds: [issue.id] }).expect(201)
    ).body as {
      id: number;
      eventId: string;
    };
    const expected = await abc.feedbackCreation(rt.storage.read, feedback.id);
    await settle(rt);
    const sent = sub.requests.find((r) => r.headers['webhook-id'] === feedback.eventId)!;
    expect(keyDiff(expected, bodyOf(sent))).toEqual([]);
    expect((bodyOf(sent).data.feedback as { issues: Array<{ updatedAt: string }> }).issues[0].updatedAt).toBe(new Date(clock.now()).toISOString());
  });
});
