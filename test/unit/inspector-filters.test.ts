import { and } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { dropEmpty, escapeLike, filterConditions, filterShape, type RequestFilter } from '../../src/inspector/filters';

const dialect = new SQLiteSyncDialect();
const render = (filter: RequestFilter) => {
  const condition = and(...filterConditions(filter));
  return condition === undefined ? null : dialect.sqlToQuery(condition);
};
const body = 'CASE WHEN json_valid(CAST("raw_requests"."body" AS TEXT)) THEN CAST("raw_requests"."body" AS TEXT) END';

describe('filterConditions', () => {
  it('when no filter is set, then there is no condition', () => {
    expect(render({})).toBeNull();
  });

  it.each<[string, RequestFilter, string, unknown[]]>([
    ['outcomes', { outcome: ['stored', 'duplicate'] }, '"raw_requests"."outcome" in (?, ?)', ['stored', 'duplicate']],
    ['a reason', { reason: 'unauthorized' }, '"raw_requests"."reason" = ?', ['unauthorized']],
    ['a path', { path: '/webhooks/nachocode' }, `"raw_requests"."path" LIKE ? ESCAPE '\\'`, ['/webhooks/nachocode%']],
    ['a path with LIKE wildcards', { path: '/a_b%' }, `"raw_requests"."path" LIKE ? ESCAPE '\\'`, ['/a\\_b\\%%']],
    ['an environment', { environment: 'sandbox' }, `json_extract(${body}, ?) = ?`, ['$.environment', 'sandbox']],
    ['free text', { q: 'coins100' }, `CAST("raw_requests"."body" AS TEXT) LIKE ? ESCAPE '\\'`, ['%coins100%']],
    ['a source', { source: 'replay' }, '"raw_requests"."source" = ?', ['replay']],
    ['a bin', { binId: 'bin_01ARZ3NDEKTSV4RRFFQ69G5FAV' }, '"raw_requests"."bin_id" = ?', ['bin_01ARZ3NDEKTSV4RRFFQ69G5FAV']],
    ['a time range', { from: 1000, to: 2000 }, '("raw_requests"."received_at" >= ? and "raw_requests"."received_at" < ?)', [1000, 2000]],
  ])('when filtering by %s, then the SQL is a parameterised condition', (_name, filter, sql, params) => {
    expect(render(filter)).toEqual({ sql, params, typings: params.map(() => 'none') });
  });

  it('when filtering by user id, then the body userId and both unavailable-users lists are checked', () => {
    const query = render({ userId: 'user-7f3a' })!;
    expect(query.params).toEqual(['$.userId', 'user-7f3a', '$.tokenNotFoundUserIds', 'user-7f3a', '$.tokenInvalidUserIds', 'user-7f3a']);
    expect(query.sql).toContain('json_each');
  });

  it('when several filters are set, then they are all required', () => {
    expect(render({ outcome: ['rejected'], reason: 'unauthorized' })!.sql).toBe('("raw_requests"."outcome" in (?) and "raw_requests"."reason" = ?)');
  });
});

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
