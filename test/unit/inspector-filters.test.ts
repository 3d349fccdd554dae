import { z } from 'zod';
import { dropEmpty, escapeLike, filterShape } from '../../src/inspector/filters';

// The filters' parsing and escaping. The SQL conditions they become are tested against each
// database in test/integration/inspector-filters.test.ts.

describe('escapeLike', () => {
  it.each([
    ['plain', 'plain'],
    ['50%', '50\\%'],
    ['a_b', 'a\\_b'],
    ['back\\slash', 'back\\\\slash'],
  ])('when escaping %p, then it becomes %p', (input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });
});

describe('filter query parameters', () => {
  const schema = z.strictObject(filterShape);
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    ['one outcome', { outcome: 'stored' }, { outcome: ['stored'] }],
    ['a comma list of outcomes', { outcome: 'stored, rejected' }, { outcome: ['stored', 'rejected'] }],
    ['an ISO time', { from: '2026-03-01T00:00:00.000Z' }, { from: Date.UTC(2026, 2, 1) }],
    ['epoch milliseconds', { to: '1772323200000' }, { to: 1772323200000 }],
  ])('when the query has %s, then it parses', (_name, query, expected) => {
    expect(schema.parse(query)).toEqual(expected);
  });

  it.each<[string, Record<string, string>]>([
    ['an unknown outcome', { outcome: 'lost' }],
    ['an unknown environment', { environment: 'staging' }],
    ['a time that is not a time', { from: 'yesterday' }],
    ['a bin id of the wrong shape', { binId: 'bin_1' }],
    ['an unknown parameter', { colour: 'red' }],
  ])('when the query has %s, then it is refused', (_name, query) => {
    expect(schema.safeParse(query).success).toBe(false);
  });

  it('when a form sends empty fields, then they mean no filter', () => {
    expect(dropEmpty({ outcome: '', path: '/webhooks', q: undefined })).toEqual({ path: '/webhooks' });
  });
});
