import { negativeBalance, refundAmount, refundApplicable, summarize, transactionConflicts } from '../../src/ledger/entitlements';

describe('summarize', () => {
  it.each`
    case                                            | type                | purchased | refunded | consumed | balance | active
    ${'a non-consumable is bought'}                 | ${'non-consumable'} | ${1}      | ${0}     | ${0}     | ${1}    | ${true}
    ${'a non-consumable is fully refunded'}         | ${'non-consumable'} | ${1}      | ${1}     | ${0}     | ${0}    | ${false}
    ${'a non-consumable is bought twice, 1 refund'} | ${'non-consumable'} | ${2}      | ${1}     | ${0}     | ${1}    | ${true}
    ${'a non-consumable row has consumption'}       | ${'non-consumable'} | ${1}      | ${0}     | ${1}     | ${1}    | ${true}
    ${'nothing is left of a non-consumable'}        | ${'non-consumable'} | ${0}      | ${0}     | ${0}     | ${0}    | ${false}
    ${'a consumable is bought'}                     | ${'consumable'}     | ${5}      | ${0}     | ${0}     | ${5}    | ${true}
    ${'a consumable is partially refunded'}         | ${'consumable'}     | ${5}      | ${2}     | ${0}     | ${3}    | ${true}
    ${'two partial refunds accumulate'}             | ${'consumable'}     | ${5}      | ${4}     | ${0}     | ${1}    | ${true}
    ${'a consumable is partly spent'}               | ${'consumable'}     | ${5}      | ${1}     | ${2}     | ${2}    | ${true}
    ${'a consumable is all spent'}                  | ${'consumable'}     | ${5}      | ${0}     | ${5}     | ${0}    | ${false}
    ${'a consumable is refunded after spending'}    | ${'consumable'}     | ${5}      | ${2}     | ${4}     | ${-1}   | ${false}
  `('when $case, then balance is $balance and active is $active', ({ type, purchased, refunded, consumed, balance, active }) => {
    expect(summarize(type, { purchased, refunded, consumed })).toEqual({ purchased, refunded, consumed, balance, active });
  });
});

describe('refundApplicable', () => {
  it.each`
    case                                     | purchased | already | requested | apply | excess
    ${'a full refund of a single unit'}      | ${1}      | ${0}    | ${1}      | ${1}  | ${0}
    ${'a partial refund'}                    | ${5}      | ${0}    | ${2}      | ${2}  | ${0}
    ${'a second partial refund'}             | ${5}      | ${2}    | ${2}      | ${2}  | ${0}
    ${'a refund takes exactly what is left'} | ${5}      | ${2}    | ${3}      | ${3}  | ${0}
    ${'a refund asks for more than is left'} | ${5}      | ${4}    | ${3}      | ${1}  | ${2}
    ${'a refund exceeds the purchase'}       | ${1}      | ${0}    | ${3}      | ${1}  | ${2}
    ${'everything was already refunded'}     | ${1}      | ${1}    | ${1}      | ${0}  | ${1}
  `('when $case, then $apply applies and $excess is excess', ({ purchased, already, requested, apply, excess }) => {
    expect(refundApplicable(purchased, already, requested)).toEqual({ apply, excess });
  });
});

describe('refundAmount', () => {
  it.each`
    case                    | price   | applied | quantity | amount
    ${'the whole purchase'} | ${4900} | ${1}    | ${1}     | ${4900}
    ${'two of five units'}  | ${300}  | ${2}    | ${5}     | ${120}
    ${'one of three units'} | ${1200} | ${1}    | ${3}     | ${400}
    ${'nothing applied'}    | ${300}  | ${0}    | ${5}     | ${0}
    ${'an unknown price'}   | ${null} | ${1}    | ${1}     | ${null}
  `('when refunding $case, then the amount is $amount', ({ price, applied, quantity, amount }) => {
    expect(refundAmount(price, applied, quantity)).toBe(amount);
  });
});

describe('negativeBalance', () => {
  it.each`
    case                                         | type                | purchased | refunded | consumed | expected
    ${'a consumable is refunded after spending'} | ${'consumable'}     | ${5}      | ${2}     | ${4}     | ${true}
    ${'a consumable ends at exactly zero'}       | ${'consumable'}     | ${5}      | ${2}     | ${3}     | ${false}
    ${'a non-consumable is refunded'}            | ${'non-consumable'} | ${1}      | ${1}     | ${1}     | ${false}
  `('when $case, then negative is $expected', ({ type, purchased, refunded, consumed, expected }) => {
    expect(negativeBalance(type, { purchased, refunded, consumed })).toBe(expected);
  });
});

describe('transactionConflicts', () => {
  const seen = [
    { environment: 'production', iapLogId: 1 },
    { environment: 'production', iapLogId: 2 },
    { environment: 'sandbox', iapLogId: 3 },
  ];

  it('when the id was seen under other iapLogIds and environments, then both are reported apart', () => {
    expect(transactionConflicts(seen, 'production', 1)).toEqual({
      duplicates: [{ environment: 'production', iapLogId: 2 }],
      otherEnvironment: [{ environment: 'sandbox', iapLogId: 3 }],
    });
  });

  it('when the id was seen only under the same purchase, then nothing is reported', () => {
    expect(transactionConflicts([seen[0]!], 'production', 1)).toEqual({ duplicates: [], otherEnvironment: [] });
  });
});
