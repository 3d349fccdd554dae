import { collectPath, lookupPath } from '../../src/outbound/paths';
import { matchesFilter } from '../../src/outbound/filter';
import { subscriptionMatches } from '../../src/outbound/matching';
import { fillTemplate, fillUrl, invalidPlaceholders, urlPlaceholderProblems } from '../../src/outbound/template';
import type { Envelope, Filter, SubscribedEvent, Template } from '../../src/outbound/types';

const statusChange: Envelope = {
  event: 'ISSUE_STATUS_CHANGE',
  data: {
    issue: { id: 7, name: 'Crash "on" login\n}', status: 'RESOLVED', feedbackCount: 3, externalIssueId: null },
    project: { id: 1, name: 'App' },
    previousStatus: 'IN_PROGRESS',
  },
};

const feedback: Envelope = {
  event: 'FEEDBACK_CREATION',
  data: {
    feedback: {
      id: 1,
      message: 'hi',
      issues: [
        { id: 1, status: 'INIT' },
        { id: 2, status: 'RESOLVED' },
      ],
    },
    channel: { id: 3, name: 'Web' },
    project: { id: 1, name: 'App' },
  },
};

describe('paths', () => {
  it.each<[string, unknown]>([
    ['event', 'ISSUE_STATUS_CHANGE'],
    ['data.issue.name', 'Crash "on" login\n}'],
    ['data.issue.feedbackCount', 3],
    ['data.issue.externalIssueId', null],
    ['data.issue.missing', undefined],
    ['data.issue.__proto__', undefined],
    ['data.constructor', undefined],
    ['data.issue.name.length', undefined],
    ['process.env', undefined],
    ['data..issue', undefined],
  ])('when looking up %s, then the value is %p', (path, expected) => {
    expect(lookupPath(statusChange, path)).toEqual(expected);
  });

  it('when a path crosses an array, then collectPath gathers every element', () => {
    expect(collectPath(feedback, 'data.feedback.issues.status')).toEqual(['INIT', 'RESOLVED']);
    expect(lookupPath(feedback, 'data.feedback.issues.1.status')).toBe('RESOLVED');
  });
});

describe('matchesFilter', () => {
  it.each<[string, Envelope, Filter | null, boolean]>([
    ['no filter', statusChange, null, true],
    ['a matching status', statusChange, { 'data.issue.status': ['RESOLVED'] }, true],
    ['another status', statusChange, { 'data.issue.status': ['INIT', 'PENDING'] }, false],
    ['both keys matching', statusChange, { event: ['ISSUE_STATUS_CHANGE'], 'data.previousStatus': ['IN_PROGRESS'] }, true],
    ['one of two keys failing', statusChange, { event: ['ISSUE_STATUS_CHANGE'], 'data.previousStatus': ['INIT'] }, false],
    ['a number', statusChange, { 'data.issue.feedbackCount': [3] }, true],
    ['a number as text', statusChange, { 'data.issue.feedbackCount': ['3'] }, false],
    ['null for a null value', statusChange, { 'data.issue.externalIssueId': [null] }, true],
    ['null for a missing path', statusChange, { 'data.issue.nothing': [null] }, true],
    ['a value for a missing path', statusChange, { 'data.issue.nothing': ['x'] }, false],
    ['any element of an array', feedback, { 'data.feedback.issues.status': ['RESOLVED'] }, true],
    ['no element of an array', feedback, { 'data.feedback.issues.status': ['PENDING'] }, false],
  ])('when the filter is %s, then it matches: %p', (_label, envelope, filter, expected) => {
    expect(matchesFilter(envelope, filter)).toBe(expected);
  });
});

describe('subscriptionMatches', () => {
  const events = (list: Array<Partial<SubscribedEvent> & { type: SubscribedEvent['type'] }>): SubscribedEvent[] =>
    list.map((e) => ({ status: 'ACTIVE', channelIds: [], ...e }));
  it.each<[string, Parameters<typeof subscriptionMatches>[0], number | null, boolean]>([
    ['an active subscription to the event', { status: 'ACTIVE', events: events([{ type: 'FEEDBACK_CREATION' }]), filter: null }, 3, true],
    ['an inactive subscription', { status: 'INACTIVE', events: events([{ type: 'FEEDBACK_CREATION' }]), filter: null }, 3, false],
    ['an inactive event entry', { status: 'ACTIVE', events: events([{ type: 'FEEDBACK_CREATION', status: 'INACTIVE' }]), filter: null }, 3, false],
    ['another event type', { status: 'ACTIVE', events: events([{ type: 'ISSUE_CREATION' }]), filter: null }, 3, false],
    ['the listed channel', { status: 'ACTIVE', events: events([{ type: 'FEEDBACK_CREATION', channelIds: [3, 4] }]), filter: null }, 3, true],
    ['an unlisted channel', { status: 'ACTIVE', events: events([{ type: 'FEEDBACK_CREATION', channelIds: [4] }]), filter: null }, 3, false],
    ['a failing filter', { status: 'ACTIVE', events: events([{ type: 'FEEDBACK_CREATION' }]), filter: { 'data.channel.name': ['App'] } }, 3, false],
  ])('when the event meets %s, then it is delivered: %p', (_label, webhook, channelId, expected) => {
    expect(subscriptionMatches(webhook, { projectId: 1, channelId, envelope: feedback })).toBe(expected);
  });
});

describe('fillTemplate', () => {
  it('when a JSON body holds placeholders, then values are placed safely and whole placeholders keep their type', () => {
    const template: Template = {
      body: {
        text: 'Issue {{data.issue.name}} is now {{ data.issue.status }} (was {{data.previousStatus}})',
        count: '{{data.issue.feedbackCount}}',
        missing: '{{data.nope}}',
      },
    };
    const filled = fillTemplate(template, statusChange);
    expect(filled.method).toBe('POST');
    expect(JSON.parse(String(filled.body))).toEqual({ text: 'Issue Crash "on" login\n} is now RESOLVED (was IN_PROGRESS)', count: 3, missing: null });
  });

  it('when a text body holds placeholders, then values are JSON-escaped so the JSON stays valid', () => {
    // In a text body a placeholder belongs inside a JSON string; an object comes out as its JSON text.
    const filled = fillTemplate({ body: '{"text":"{{event}}: {{data.issue.name}}","project":"{{data.project}}"}' }, statusChange);
    expect(JSON.parse(String(filled.body))).toEqual({ text: 'ISSUE_STATUS_CHANGE: Crash "on" login\n}', project: '{"id":1,"name":"App"}' });
  });

  it('when headers hold placeholders, then they are filled without control characters', () => {
    const filled = fillTemplate({ method: 'PUT', headers: { 'X-Title': '{{data.issue.name}}' }, body: {} }, statusChange);
    expect(filled).toEqual({ method: 'PUT', headers: { 'x-title': 'Crash "on" login }' }, body: '{}' });
  });

  it.each(['GET', 'DELETE'] as const)('when the method is %s, then there is no body, the headers are filled all the same', (method) => {
    expect(fillTemplate({ method, headers: { 'X-Event': '{{event}}' } }, statusChange)).toEqual({
      method,
      headers: { 'x-event': 'ISSUE_STATUS_CHANGE' },
      body: null,
    });
  });

  it.each<[string, string]>([
    ['https://x.test/h?e={{event}}&n={{data.issue.name}}', 'https://x.test/h?e=ISSUE_STATUS_CHANGE&n=Crash%20%22on%22%20login%0A%7D'],
    ['https://x.test/h?count={{data.issue.feedbackCount}}&none={{data.issue.externalIssueId}}', 'https://x.test/h?count=3&none='],
    ['https://x.test/h?p={{data.project}}#{{event}}', 'https://x.test/h?p=%7B%22id%22%3A1%2C%22name%22%3A%22App%22%7D#{{event}}'],
    ['https://x.test/h?inject={{data.issue.status}}', 'https://x.test/h?inject=RESOLVED'],
    ['https://x.test/h', 'https://x.test/h'],
  ])('when the URL is %s, then the query-string placeholders are filled URL-encoded: %s', (url, expected) => {
    expect(fillUrl(url, statusChange)).toBe(expected);
  });

  it('when a value holds & or =, then it cannot add a query parameter', () => {
    const tricky: Envelope = { event: 'ISSUE_CREATION', data: { issue: { name: 'x&admin=1' } } };
    expect(new URL(fillUrl('https://x.test/h?n={{data.issue.name}}', tricky)).searchParams.getAll('admin')).toEqual([]);
  });

  it.each<[string, string[]]>([
    ['https://x.test/h?e={{event}}', []],
    ['https://x.test/{{event}}/h', ["placeholders may only appear in the URL's query string"]],
    ['https://x.test/h#{{event}}', ["placeholders may only appear in the URL's query string"]],
    ['https://x.test/h?e={{process.env.SECRET}}', ['unknown placeholders {{process.env.SECRET}}: use {{event}} or {{data.…}}']],
  ])('when a subscription URL is %s, then the problems are %p', (url, problems) => {
    expect(urlPlaceholderProblems(url)).toEqual(problems);
  });

  it.each<[string, string[]]>([
    ['{{event}} {{data.issue.name}}', []],
    ['{{process.env.SECRET}}', ['process.env.SECRET']],
    ['{{data.issue[0]}}', ['data.issue[0]']],
    ['{{constructor}}', ['constructor']],
  ])('when a template text is %s, then the invalid placeholders are %p', (text, invalid) => {
    expect(invalidPlaceholders(text)).toEqual(invalid);
  });
});
