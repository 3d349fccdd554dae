import fs from 'node:fs';
import path from 'node:path';
import { checkFeedbackValues } from '../../src/feedback/field-values';
import { fieldList, LEGACY_FIELDS, type ChannelField } from '../../src/feedback/fields';
import { AppError } from '../../src/shared/errors';

// A channel's field declarations and feedback checked against them: pure functions, table-driven.

const f = (key: string, type: ChannelField['type'], extra: Partial<ChannelField> = {}): ChannelField => ({ key, type, required: false, ...extra });

const FIELDS: ChannelField[] = [
  f('message', 'text', { required: true }),
  f('userEmail', 'keyword', { email: true }),
  f('category', 'select', { options: ['bug', 'idea'] }),
  f('platforms', 'multiSelect', { options: ['ios', 'android'] }),
  f('rating', 'number'),
  f('seenAt', 'date'),
  f('build', 'keyword'),
];

/** The problems a body has, as the 422's details list them; [] when it is accepted. */
function problems(body: Record<string, unknown>, fields = FIELDS): Array<{ field: string; message: string }> {
  try {
    checkFeedbackValues(fields, body);
    return [];
  } catch (error) {
    if (!(error instanceof AppError) || error.status !== 422) throw error;
    return (error.details as { fields: Array<{ field: string; message: string }> }).fields;
  }
}

describe("feedback values against the channel's fields", () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['only the required text', { message: 'hi' }, { message: 'hi' }],
    ['text with spaces around it (trimmed, as message always was)', { message: '  hi  ' }, { message: 'hi' }],
    [
      'a value of every type',
      { message: 'm', userEmail: 'a@example.com', category: 'bug', platforms: ['ios', 'android'], rating: 4.5, seenAt: '2026-03-02', build: '3.1' },
      { message: 'm', userEmail: 'a@example.com', category: 'bug', platforms: ['ios', 'android'], rating: 4.5, seenAt: '2026-03-02', build: '3.1' },
    ],
    ['null for an optional field (left out, as userEmail: null always was)', { message: 'm', userEmail: null, category: null }, { message: 'm' }],
    ['an empty multi-select that is optional', { message: 'm', platforms: [] }, { message: 'm', platforms: [] }],
    ["a date as ABC's server takes it", { message: 'm', seenAt: '2026-03-02 10:30:00' }, { message: 'm', seenAt: '2026-03-02 10:30:00' }],
  ])('when the body has %s, then the values stored are exactly those accepted', (_label, body, stored) => {
    const values = checkFeedbackValues(FIELDS, body);
    expect(values).toEqual(stored);
    expect(Object.keys(values)).toEqual(Object.keys(stored));
  });

  it.each<[string, Record<string, unknown>, Array<[string, RegExp]>]>([
    ['no required text', {}, [['message', /is required/]]],
    ['a blank required text', { message: '   ' }, [['message', /is required/]]],
    ['null for a required field', { message: null }, [['message', /is required/]]],
    ['text that is not a string', { message: 5 }, [['message', /must be a string/]]],
    ['text over 10,000 characters', { message: 'x'.repeat(10_001) }, [['message', /at most 10000/]]],
    ['a bad email', { message: 'm', userEmail: 'nope' }, [['userEmail', /email/]]],
    ['a select value that is not an option', { message: 'm', category: 'rant' }, [['category', /one of bug, idea/]]],
    ['a multi-select that is not a list', { message: 'm', platforms: 'ios' }, [['platforms', /list of ios, android/]]],
    ['a multi-select with an unknown option', { message: 'm', platforms: ['ios', 'web'] }, [['platforms', /"web" is not one of/]]],
    ['a multi-select listing an option twice', { message: 'm', platforms: ['ios', 'ios'] }, [['platforms', /twice/]]],
    ['a number given as text', { message: 'm', rating: '4' }, [['rating', /must be a number/]]],
    ['a date that is no date', { message: 'm', seenAt: 'yesterday-ish' }, [['seenAt', /must be a date/]]],
    ['a date given as a number (ABC refuses it too)', { message: 'm', seenAt: 1772400000000 }, [['seenAt', /must be a date/]]],
    ['a key the channel does not declare', { message: 'm', category2: 'x' }, [['category2', /not a field of this channel/]]],
    ['an inherited name as a key', JSON.parse('{"message":"m","__proto__":{"x":1}}') as Record<string, unknown>, [['__proto__', /not a field/]]],
    [
      'several problems',
      { rating: 'x', extra: 1 },
      [
        ['message', /required/],
        ['rating', /number/],
        ['extra', /not a field/],
      ],
    ],
  ])('when the body has %s, then 422 names each field', (_label, body, expected) => {
    const found = problems(body);
    expect(found.map((p) => p.field)).toEqual(expected.map(([field]) => field));
    found.forEach((p, i) => expect(p.message).toMatch(expected[i][1]));
  });

  it('when a required multi-select is empty, then it is refused', () => {
    expect(problems({ tags: [] }, [f('tags', 'multiSelect', { options: ['a'], required: true })])).toEqual([{ field: 'tags', message: 'is required' }]);
  });

  it('when a field is called "constructor" and the body leaves it out, then nothing inherited is taken for its value', () => {
    expect(checkFeedbackValues([f('constructor', 'text')], {})).toEqual({});
  });
});

describe('field declarations', () => {
  it('when fields are declared with defaults left out, then they are stored complete', () => {
    expect(
      fieldList.parse([
        { key: 'message', type: 'text', required: true },
        { key: 'tags', type: 'multiSelect', options: ['a', 'b'] },
      ]),
    ).toEqual([
      { key: 'message', type: 'text', required: true },
      { key: 'tags', type: 'multiSelect', required: false, options: ['a', 'b'] },
    ]);
  });

  it.each<[string, unknown, string]>([
    ['no field at all', [], '(list)'],
    ['a reserved key', [{ key: 'createdAt', type: 'date' }], '0.key'],
    ['a key that is not a plain name', [{ key: 'a-b', type: 'text' }], '0.key'],
    [
      'a key declared twice',
      [
        { key: 'a', type: 'text' },
        { key: 'a', type: 'number' },
      ],
      '1.key',
    ],
    ['an unknown type', [{ key: 'a', type: 'images' }], '0.type'],
    ['a select without options', [{ key: 'a', type: 'select' }], '0.options'],
    ['options on a number', [{ key: 'a', type: 'number', options: ['1'] }], '0.options'],
    ['an option listed twice', [{ key: 'a', type: 'select', options: ['x', 'x'] }], '0.options.1'],
    ['email on a text field', [{ key: 'a', type: 'text', email: true }], '0.email'],
    ['a misspelt property', [{ key: 'a', format: 'text' }], '0'],
  ])('when the declaration has %s, then it is refused', (_label, fields, at) => {
    const parsed = fieldList.safeParse(fields);
    expect(parsed.success).toBe(false);
    const paths = parsed.error!.issues.map((i) => (i.path.length === 0 ? '(list)' : i.path.join('.')));
    expect(paths).toContain(at);
  });

  it.each(['sqlite', 'postgres'])('when the %s schema gives a channel its default fields, then they are the legacy message and userEmail', (backend) => {
    const schema = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'storage', backend, 'schema.ts'), 'utf8');
    const fieldsColumn = /fields: text\('fields'\)\s*\.notNull\(\)\s*\.default\('([^']*)'\)/.exec(schema);
    expect(fieldsColumn).not.toBeNull();
    expect(JSON.parse(fieldsColumn![1])).toEqual(LEGACY_FIELDS);
  });
});
