import { webhookBody } from '../../src/outbound/schemas';

const valid = {
  name: 'Slack bridge',
  url: 'https://hooks.example.com/abc',
  status: 'ACTIVE',
  events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE', channelIds: [1] }],
};

const problems = (body: unknown) => {
  const parsed = webhookBody.safeParse(body);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('webhook body validation (as ABC validates it)', () => {
  it('when the body is complete, then it is accepted', () => {
    expect(problems(valid)).toEqual([]);
    expect(problems({ ...valid, token: 'abc.DEF_123-4567890', signingSecret: null, retryPolicy: 'exponential', template: null, filter: null })).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no name', { name: '' }, 'name'],
    ['an ftp URL', { url: 'ftp://example.com/x' }, 'url: must be an http or https URL'],
    ['a URL that is not one', { url: 'not a url' }, 'url: must be an http or https URL'],
    ['credentials in the URL', { url: 'https://user:pass@example.com/' }, 'url'],
    ['an unknown status', { status: 'ENABLED' }, 'status: must be ACTIVE or INACTIVE'],
    ['a short token', { token: 'short-token' }, 'token: must be at least 16 characters'],
    ['a token with spaces', { token: 'sixteen chars long!!' }, 'token: must be at least 16 characters'],
    ['an unknown event type', { events: [{ type: 'USER_CREATION', status: 'ACTIVE' }] }, 'events.0.type'],
    [
      'the same event twice',
      {
        events: [
          { type: 'ISSUE_CREATION', status: 'ACTIVE' },
          { type: 'ISSUE_CREATION', status: 'INACTIVE' },
        ],
      },
      'events.1.type: ISSUE_CREATION is listed twice',
    ],
    [
      'channels on an issue event',
      { events: [{ type: 'ISSUE_CREATION', status: 'ACTIVE', channelIds: [1] }] },
      'events.0.channelIds: channelIds are only allowed on FEEDBACK_CREATION and ISSUE_ADDITION',
    ],
    ['a secret without the prefix', { signingSecret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'signingSecret: must be "whsec_"'],
    ['an unknown retry policy', { retryPolicy: 'forever' }, 'retryPolicy: must be abc or exponential'],
    ['a template without a body', { template: { method: 'POST' } }, 'template.body'],
    [
      'a GET template with a body',
      { template: { method: 'GET', body: {} } },
      "template.body: a GET sends no body: leave body out and put {{placeholders}} in the URL's query string",
    ],
    ['a DELETE template with a body', { template: { method: 'DELETE', body: 'x' } }, 'template.body: a DELETE sends no body'],
    ['a PUT template without a body', { template: { method: 'PUT' } }, 'template.body: is required for PUT (only GET and DELETE send none)'],
    ['an unknown method', { template: { method: 'HEAD' } }, 'template.method: must be one of GET, POST, PUT, PATCH, DELETE'],
    ['a placeholder in the URL path', { url: 'https://hooks.example.com/{{event}}' }, "url: placeholders may only appear in the URL's query string"],
    ['a placeholder in the host', { url: 'https://{{event}}.example.com/' }, "url: placeholders may only appear in the URL's query string"],
    ['an unknown placeholder in the query', { url: 'https://hooks.example.com/h?x={{data..a}}' }, 'url: unknown placeholders {{data..a}}'],
    [
      'a template forging the signature',
      { template: { headers: { 'Webhook-Signature': 'v1,x' }, body: {} } },
      'template.headers.Webhook-Signature: is set by iaphook',
    ],
    [
      'a template reaching outside the event',
      { template: { body: { text: '{{process.env.JWT_SECRET}}' } } },
      'template.body: unknown placeholders {{process.env.JWT_SECRET}}',
    ],
    ['a filter on a bad path', { filter: { 'issue.status': ['RESOLVED'] } }, 'filter.issue.status'],
    ['a filter with no values', { filter: { 'data.issue.status': [] } }, 'filter.data.issue.status'],
  ])('when the body has %s, then the problem names the field', (_label, change, expected) => {
    expect(problems({ ...valid, ...change }).join('\n')).toContain(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a GET template without a body', { template: { method: 'GET', headers: { 'X-Event': '{{event}}' } } }],
    ['a DELETE template', { template: { method: 'DELETE' } }],
    ['each body method', { template: { method: 'PATCH', body: { a: 1 } } }],
    ['placeholders in the query string', { url: 'https://hooks.example.com/h?event={{event}}&id={{data.issue.id}}', template: { method: 'GET' } }],
  ])('when the body has %s, then it is accepted', (_label, change) => {
    expect(problems({ ...valid, ...change })).toEqual([]);
  });
});
