import { withLimitsAsValues } from '../../src/storage/sqlite/connection';

describe('withLimitsAsValues', () => {
  it.each([
    ['SELECT id FROM t LIMIT ?', 'SELECT id FROM t LIMIT CAST(? AS INTEGER)'],
    ['SELECT id FROM t ORDER BY id LIMIT ? OFFSET ?', 'SELECT id FROM t ORDER BY id LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)'],
    ['SELECT id FROM (SELECT id FROM t LIMIT\n      ?) LIMIT ?', 'SELECT id FROM (SELECT id FROM t LIMIT CAST(? AS INTEGER)) LIMIT CAST(? AS INTEGER)'],
    ['SELECT id FROM t LIMIT 20', 'SELECT id FROM t LIMIT 20'],
    ['SELECT id FROM t LIMIT -1 OFFSET ?', 'SELECT id FROM t LIMIT -1 OFFSET CAST(? AS INTEGER)'],
    ['SELECT id FROM t WHERE a = ?', 'SELECT id FROM t WHERE a = ?'],
    ['SELECT sublimit FROM t WHERE xlimit = ?', 'SELECT sublimit FROM t WHERE xlimit = ?'],
  ])('%j is prepared as %j', (text, prepared) => {
    expect(withLimitsAsValues(text)).toBe(prepared);
  });
});
