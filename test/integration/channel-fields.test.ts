import { ManualClock } from '../../src/shared/clock';
import { sql, startRuntime, type TestRuntime } from '../support/runtime';
import { Subscriber } from '../support/subscriber';
import { adminApi, bodyOf, settle } from './outbound-support';

// Channels declare the fields their feedback carries, as in ABC User Feedback: the API to declare
// and change them, feedback checked against them (422 naming the field), stored and sent spread
// into data.feedback; and the behaviour existing clients rely on, unchanged.

const T0 = Date.UTC(2026, 3, 1, 8);
let clock: ManualClock;
let rt: TestRuntime;
let api: ReturnType<typeof adminApi>;
let sub: Subscriber;

beforeEach(async () => {
  clock = new ManualClock(T0);
  rt = await startRuntime({}, { clock });
  api = adminApi(rt);
  sub = await Subscriber.start();
  await api.createWebhook(sub.url, { name: 'all events' });
});
afterEach(async () => {
  await sub.close();
  await rt.stop();
});

const LEGACY = [
  { key: 'message', type: 'text', required: true },
  { key: 'userEmail', type: 'keyword', required: false, email: true },
];
const eventsOf = async (type: string) => {
  await settle(rt);
  return sub.requests.map(bodyOf).filter((b) => b.event === type);
};
async function createChannel(body: Record<string, unknown>): Promise<{ id: number; fields: unknown[] }> {
  return (await api.post(`/projects/${api.projectId}/channels`, body).expect(201)).body as { id: number; fields: unknown[] };
}

describe('declaring fields', () => {
  it('when a channel is created with fields, then it answers them complete, and the channel and the project listing show them', async () => {
    const channel = await createChannel({
      name: 'App',
      fields: [
        { key: 'message', type: 'text', required: true },
        { key: 'category', type: 'select', options: ['bug', 'idea'] },
      ],
    });
    const declared = [
      { key: 'message', type: 'text', required: true },
      { key: 'category', type: 'select', required: false, options: ['bug', 'idea'] },
    ];
    expect(channel.fields).toEqual(declared);
    expect((await api.get(`/projects/${api.projectId}/channels/${channel.id}`).expect(200)).body).toMatchObject({
      id: channel.id,
      name: 'App',
      fields: declared,
    });
    const listed = (await api.get('/projects').expect(200)).body.projects[0].channels as Array<{ id: number; fields: unknown }>;
    expect(listed.find((c) => c.id === channel.id)?.fields).toEqual(declared);
  });

  it('when a channel is created without fields, and for the Default channel, then they declare message and userEmail as channels always had', async () => {
    const channel = await createChannel({ name: 'Plain' });
    expect(channel.fields).toEqual(LEGACY);
    expect((await api.get(`/projects/${api.projectId}/channels/${api.channelId}`).expect(200)).body.fields).toEqual(LEGACY);
  });

  it('when the fields are declared wrongly, then 422 names the field, and the channel is not created', async () => {
    const res = await api
      .post(`/projects/${api.projectId}/channels`, {
        name: 'Bad',
        fields: [
          { key: 'id', type: 'text' },
          { key: 'kind', type: 'select' },
        ],
      })
      .expect(422);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['fields.0.key', 'fields.1.options']);
    const names = (await api.get('/projects').expect(200)).body.projects[0].channels.map((c: { name: string }) => c.name);
    expect(names).not.toContain('Bad');
  });

  it('when the fields are replaced, then new feedback is checked against the new ones and earlier feedback keeps its values', async () => {
    const channel = await createChannel({
      name: 'Changing',
      fields: [
        { key: 'message', type: 'text', required: true },
        { key: 'mood', type: 'keyword' },
      ],
    });
    const feedbacks = `/projects/${api.projectId}/channels/${channel.id}/feedbacks`;
    const before = (await api.post(feedbacks, { message: 'old', mood: 'happy' }).expect(201)).body as { id: number };

    await settle(rt); // no delivery in flight when the clock moves (its lease would expire)
    clock.advance(1000);
    const replaced = await api
      .put(`/projects/${api.projectId}/channels/${channel.id}/fields`, {
        fields: [
          { key: 'message', type: 'text', required: true },
          { key: 'score', type: 'number', required: true },
        ],
      })
      .expect(200);
    expect(replaced.body).toMatchObject({
      id: channel.id,
      fields: [{ key: 'message' }, { key: 'score', type: 'number', required: true }],
      updatedAt: new Date(T0 + 1000).toISOString(),
    });

    const refused = await api.post(feedbacks, { message: 'new', mood: 'sad' }).expect(422);
    expect(refused.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['score', 'mood']);
    await api.post(feedbacks, { message: 'new', score: 3 }).expect(201);
    expect((await api.get(`${feedbacks}/${before.id}`).expect(200)).body).toMatchObject({ message: 'old', mood: 'happy', score: null });
  });

  it.each<[string, string, unknown, number]>([
    ['an unknown channel', '/channels/4242/fields', { fields: [{ key: 'a', type: 'text' }] }, 404],
    ['no fields at all', '/channels/1/fields', { fields: [] }, 422],
    ['no body', '/channels/1/fields', {}, 422],
  ])('when fields are replaced on %s, then it is refused', async (_label, route, body, status) => {
    await api.put(`/projects/${api.projectId}${route}`, body).expect(status);
  });
});

describe('feedback with custom fields', () => {
  it("when feedback carries the channel's custom values, then they are stored, answered, and spread into FEEDBACK_CREATION", async () => {
    const channel = await createChannel({
      name: 'Store',
      fields: [
        { key: 'message', type: 'text', required: true },
        { key: 'category', type: 'select', options: ['bug', 'idea'], required: true },
        { key: 'stars', type: 'number' },
      ],
    });
    const created = (await api.post(`/projects/${api.projectId}/channels/${channel.id}/feedbacks`, { message: 'nice', category: 'idea', stars: 5 }).expect(201))
      .body;
    expect(created).toMatchObject({ message: 'nice', category: 'idea', stars: 5 });
    const [sent] = await eventsOf('FEEDBACK_CREATION');
    expect(sent.data.feedback).toEqual({
      id: created.id,
      createdAt: created.createdAt,
      updatedAt: created.updatedAt,
      message: 'nice',
      category: 'idea',
      stars: 5,
      issues: [],
    });
  });

  it('when feedback carries a field the channel does not declare, then 422 names it and nothing is stored or sent (it used to vanish)', async () => {
    const res = await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks`, { message: 'x', category: 'bug' }).expect(422);
    expect(res.body.error).toMatchObject({
      code: 'validation_failed',
      details: { fields: [{ field: 'category', message: expect.stringContaining('message, userEmail') }] },
    });
    expect(await rt.rows(sql`SELECT id FROM feedbacks`)).toEqual([]);
    expect(await eventsOf('FEEDBACK_CREATION')).toEqual([]);
  });

  it('when a body is not an object, then 422 says so', async () => {
    const res = await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks`, [{ message: 'x' }]).expect(422);
    expect(res.body.error.details.fields).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
  });

  it('when a client sends what it always sent to the Default channel, then the answer and the payload are as before', async () => {
    const created = (await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks`, { message: '  hello  ', userEmail: null }).expect(201))
      .body;
    expect(created).toEqual({
      id: created.id,
      projectId: api.projectId,
      channelId: api.channelId,
      message: 'hello',
      userEmail: null,
      issues: [],
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      eventId: expect.stringMatching(/^msg_/),
    });
    const [sent] = await eventsOf('FEEDBACK_CREATION');
    expect(sent.data.feedback).toEqual({ id: created.id, createdAt: created.createdAt, updatedAt: created.updatedAt, message: 'hello', issues: [] });
  });

  it('when a feedback was stored before channels had fields, then its message, userEmail and extra values are still answered and sent', async () => {
    await rt.storage.write(async (tx) => {
      await tx.run(sql`INSERT INTO feedbacks (project_id, channel_id, message, user_email, fields, created_at, updated_at)
        VALUES (${api.projectId}, ${api.channelId}, ${'from last year'}, ${'old@example.com'}, ${'{"build":"1.0"}'}, ${T0 - 1000}, ${T0 - 1000})`);
    });
    const [{ id }] = await rt.rows<{ id: number }>(sql`SELECT id FROM feedbacks`);
    const issue = await api.createIssue('Old bug');
    await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks/${id}/issues`, { issueId: issue.id }).expect(201);
    const [addition] = await eventsOf('ISSUE_ADDITION');
    expect(addition.data.feedback).toMatchObject({ id, message: 'from last year', userEmail: 'old@example.com', build: '1.0' });
    expect((await api.get(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks/${id}`).expect(200)).body).toMatchObject({
      message: 'from last year',
      userEmail: 'old@example.com',
      build: '1.0',
    });
  });
});

describe('issueNames on feedback creation', () => {
  it('when feedback names issues, then the missing ones are created (ISSUE_CREATION each), all are linked, and no ISSUE_ADDITION is sent', async () => {
    const existing = await api.createIssue('Known');
    const other = await api.createProject('Other');
    const elsewhere = await api.createIssue('Elsewhere', {}, other.id);
    const feedbacks = `/projects/${api.projectId}/channels/${api.channelId}/feedbacks`;
    const created = (await api.post(feedbacks, { message: 'x', issueNames: ['Known', 'Fresh', 'Elsewhere', 'Fresh'] }).expect(201)).body as {
      issues: Array<{ id: number; name: string; feedbackCount: number }>;
    };
    const byName = (name: string) => created.issues.find((i) => i.name === name);
    expect(created.issues.map((i) => [i.name, i.feedbackCount]).sort()).toEqual([
      ['Elsewhere', 1],
      ['Fresh', 1],
      ['Known', 1],
    ]);
    expect(byName('Known')?.id).toBe(existing.id);
    // Names are looked up in the feedback's project only: another project's issue of that name is not used.
    expect(byName('Elsewhere')?.id).not.toBe(elsewhere.id);
    const projectIssues = (await api.get(`/projects/${api.projectId}/issues`).expect(200)).body.issues.map((i: { name: string }) => i.name);
    expect(projectIssues.sort()).toEqual(['Elsewhere', 'Fresh', 'Known']);

    // The subscription is the Default project's: the other project's issue is not among them.
    const creations = (await eventsOf('ISSUE_CREATION')).map((b) => b.data.issue as { name: string; feedbackCount: number });
    expect(
      creations
        .filter((i) => ['Fresh', 'Elsewhere'].includes(i.name))
        .map((i) => [i.name, i.feedbackCount])
        .sort(),
    ).toEqual([
      ['Elsewhere', 0],
      ['Fresh', 0],
    ]);
    expect(await eventsOf('ISSUE_ADDITION')).toEqual([]);
    const [feedback] = await eventsOf('FEEDBACK_CREATION');
    expect((feedback.data.feedback as { issues: Array<{ name: string }> }).issues.map((i) => i.name).sort()).toEqual(['Elsewhere', 'Fresh', 'Known']);
  });

  it.each<[string, unknown]>([
    ['a name that is not text', [5]],
    ['an empty name', ['  ']],
    ['not a list', 'Known'],
  ])('when issueNames has %s, then 422 names issueNames and nothing is created', async (_label, issueNames) => {
    const res = await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks`, { message: 'x', issueNames }).expect(422);
    expect(res.body.error.details.fields[0].field).toMatch(/^issueNames/);
    expect(await rt.rows(sql`SELECT id FROM issues`)).toEqual([]);
  });
});

describe('updatedAt and feedbackCount when an issue is added', () => {
  it("when an issue is added to a feedback, then the feedback's and the issue's updatedAt move to that moment and the count grows", async () => {
    const feedback = await api.createFeedback({ message: 'x' });
    const issue = await api.createIssue('Later');
    await settle(rt); // no delivery in flight when the clock moves (its lease would expire)
    clock.advance(60_000);
    const added = (await api.post(`/projects/${api.projectId}/channels/${api.channelId}/feedbacks/${feedback.id}/issues`, { issueId: issue.id }).expect(201))
      .body;
    const at = new Date(T0 + 60_000).toISOString();
    expect(added).toMatchObject({ createdAt: new Date(T0).toISOString(), updatedAt: at, issues: [{ id: issue.id, updatedAt: at, feedbackCount: 1 }] });
    expect((await api.get(`/projects/${api.projectId}/issues`).expect(200)).body.issues).toEqual([
      expect.objectContaining({ id: issue.id, updatedAt: at, feedbackCount: 1 }),
    ]);
  });
});

describe('the Refunds channel', () => {
  const REFUND_KEYS = ['message', 'userId', 'productId', 'quantity', 'environment', 'iapLogId', 'refundedAt', 'refundEventId'];

  it('when the service starts, then the Refunds channel declares what a recorded refund carries', async () => {
    const refunds = (await api.get(`/projects/${api.projectId}/channels/${rt.feedbackDefaults.refundsChannelId}`).expect(200)).body;
    expect(refunds.fields.map((f: { key: string }) => f.key)).toEqual(REFUND_KEYS);
  });

  it('when a Refunds channel still has the fields every channel got from the migration, then the next start gives it the refund fields', async () => {
    await rt.storage.write(async (tx) => {
      await tx.run(sql`UPDATE channels SET fields = ${JSON.stringify(LEGACY)} WHERE id = ${rt.feedbackDefaults.refundsChannelId}`);
    });
    const again = await startRuntime({}, { database: rt.database, startWorker: false });
    try {
      const [row] = await again.rows<{ fields: string }>(sql`SELECT fields FROM channels WHERE id = ${rt.feedbackDefaults.refundsChannelId}`);
      expect((JSON.parse(row.fields) as Array<{ key: string }>).map((f) => f.key)).toEqual(REFUND_KEYS);
    } finally {
      await again.close();
    }
  });
});
