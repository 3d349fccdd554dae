import { csvRecordToBody } from '../../src/reconciliation/rows';
import { checkRow } from '../../src/reconciliation/row-check';
import { nacho } from '../support/fixtures';

describe('csvRecordToBody', () => {
  it.each([
    [
      'numeric columns are numbers',
      { iapLogId: '5012', quantity: '2', price: '1200.5', refundQuantity: '1' },
      { iapLogId: 5012, quantity: 2, price: 1200.5, refundQuantity: 1 },
    ],
    ['a number that does not parse stays text', { quantity: 'two' }, { quantity: 'two' }],
    ['empty cells are absent fields', { userId: 'u1', os: '', price: '  ' }, { userId: 'u1' }],
    ['cells and headers are trimmed', { ' os ': '  ios ', ' quantity': ' 2 ' }, { os: 'ios', quantity: 2 }],
    [
      'identifiers stay exactly as written',
      { ' userId ': 'abc ', productId: ' com.example.app.premium', nachoProductId: 'NP-1 ' },
      { userId: 'abc ', productId: ' com.example.app.premium', nachoProductId: 'NP-1 ' },
    ],
    ['a whitespace-only identifier is an absent field', { userId: '   ', productId: 'p' }, { productId: 'p' }],
    [
      'data.* columns nest',
      { 'data.transactionId': '2000000871234501', 'data.orderId': 'GPA.1' },
      { data: { transactionId: '2000000871234501', orderId: 'GPA.1' } },
    ],
    ['a data column holds JSON', { data: '{"purchaseToken":"tok","orderId":"GPA.2"}' }, { data: { purchaseToken: 'tok', orderId: 'GPA.2' } }],
    ['a data column that is not JSON is kept raw', { data: 'oops' }, { data: { raw: 'oops' } }],
    ['long transaction ids stay exact text', { 'data.transactionId': '20000008712345019999' }, { data: { transactionId: '20000008712345019999' } }],
    ['prototype keys are dropped', { __proto__x: 'a', constructor: 'b', 'data.__proto__': 'c' }, { __proto__x: 'a' }],
    ['unknown columns are kept, as the webhook keeps unknown fields', { storeCountry: 'KR' }, { storeCountry: 'KR' }],
  ])('when %s, then the body is as the webhook would send it', (_case, record, body) => {
    expect(csvRecordToBody(record as Record<string, string>)).toEqual(body);
  });
});

describe('checkRow', () => {
  const row = (body: unknown, line = 2) => ({ line, body });

  it.each([
    ['a valid production purchase', nacho.purchaseIos(), 'row'],
    ['a valid production refund', nacho.refundAndroid(), 'row'],
    ['a sandbox purchase', nacho.purchaseIosMulti(), 'other_environment'],
    ['an unavailable-users list', nacho.unavailableUsers(), 'ignored'],
    ['a purchase without iapLogId', nacho.purchaseIos({ iapLogId: undefined }), 'invalid'],
    ['a refund with a bad refundedAt', nacho.refundAndroid({ refundedAt: 'yesterday' }), 'invalid'],
    ['a row that is not an object', [1, 2], 'invalid'],
  ])('when the row is %s, then it is %s', (_case, body, kind) => {
    expect(checkRow(row(body), 'production').kind).toBe(kind);
  });

  it('when a row could not be read, then it is invalid with the reader error', () => {
    expect(checkRow({ line: 7, error: 'not valid JSON: Unexpected token' }, 'production')).toEqual({
      kind: 'invalid',
      line: 7,
      problems: ['not valid JSON: Unexpected token'],
    });
  });

  it('when a row is invalid, then every failing field is named', () => {
    const checked = checkRow(row(nacho.purchaseIos({ quantity: 0, userId: ' ' })), 'production');
    expect(checked.kind === 'invalid' && checked.problems.map((p) => p.split(':')[0]).sort()).toEqual(['quantity', 'userId']);
  });

  it('when a refund is valid, then its identity, key and time come from refundedAt', () => {
    const checked = checkRow(row(nacho.refundAndroid({ refundedAt: '2026-03-05T22:40:12.900+09:00' })), 'production');
    expect(checked).toMatchObject({
      kind: 'row',
      type: 'refund',
      identity: { environment: 'production', iapLogId: 5013, refundedAt: '2026-03-05T13:40:12.900Z' },
      key: 'refund:production:5013:2026-03-05T13:40:12.900Z',
      time: Date.parse('2026-03-05T13:40:12.900Z'),
    });
  });
});
