import sjson from 'secure-json-parse';
import type { ReceiverRoute } from '../../src/nachocode/classify';
import { unknownValues, type EventType } from '../../src/nachocode/schemas';
import { parseEvent, type FieldProblem } from '../../src/nachocode/validate';
import { AppError } from '../../src/shared/errors';
import { nacho, type Json } from '../support/fixtures';

/** Stands for an absent field (JSON has no undefined), shown as `undefined` in test names. */
const MISSING = undefined;

/** The body with one field replaced, or removed when the value is MISSING. */
function withField(body: Json, field: string, value: unknown): Json {
  const copy = { ...body };
  if (value === MISSING) delete copy[field];
  else copy[field] = value;
  return copy;
}

function thrownBy(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected parseEvent to throw');
}

const fieldsOf = (error: AppError): string[] => {
  const details = error.details as { fields: FieldProblem[] };
  return [...new Set(details.fields.map((f) => f.field))];
};

/** Mirrors receive.ts parseJsonBody. */
const parseSecure = (text: string): unknown => sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });

const fixtures: Array<[string, () => Json, Exclude<ReceiverRoute, 'auto'>, EventType]> = [
  ['purchase.ios', nacho.purchaseIos, 'purchase', 'purchase'],
  ['purchase.android', nacho.purchaseAndroid, 'purchase', 'purchase'],
  ['purchase.ios.multi', nacho.purchaseIosMulti, 'purchase', 'purchase'],
  ['refund.android', nacho.refundAndroid, 'refund', 'refund'],
  ['refund.ios.partial', nacho.refundIosPartial, 'refund', 'refund'],
  ['unavailable-users', nacho.unavailableUsers, 'unavailable-users', 'unavailable_users'],
];

describe('parseEvent with valid fixtures', () => {
  it.each(fixtures)('when %s is sent to its own route (%s), then it is accepted as %s', (_name, body, route, type) => {
    const input = body();
    expect(parseEvent(route, input)).toEqual({ type, payload: input });
  });

  it.each(fixtures)("when %s is sent to the 'auto' route, then it is accepted as its shape", (_name, body, _route, type) => {
    const input = body();
    expect(parseEvent('auto', input)).toEqual({ type, payload: input });
  });

  it.each<[string, Exclude<ReceiverRoute, 'auto'>, () => Json]>([
    ['purchase', 'purchase', () => nacho.purchaseIos({ promo: { code: 'SPRING' }, storefront: 'KOR' })],
    ['refund', 'refund', () => nacho.refundAndroid({ promo: { code: 'SPRING' }, storefront: 'KOR' })],
    ['unavailable-users', 'unavailable-users', () => nacho.unavailableUsers({ promo: { code: 'SPRING' }, storefront: 'KOR' })],
  ])('when a %s body carries unknown extra fields, then they are kept in the payload', (_name, route, body) => {
    const event = parseEvent(route, body());
    expect(event.payload).toMatchObject({ promo: { code: 'SPRING' }, storefront: 'KOR' });
  });

  it('when the store data carries unknown fields, then they are kept too', () => {
    const data = { originalTransactionId: '1', transactionId: '1', appAccountToken: 'abc', nested: { deep: true } };
    const event = parseEvent('purchase', nacho.purchaseIos({ data }));
    expect(event.payload).toMatchObject({ data });
  });

  it.each<[string, Json]>([
    ['only tokenNotFoundUserIds', { tokenNotFoundUserIds: ['u1'] }],
    ['only tokenInvalidUserIds', { tokenInvalidUserIds: ['u1'] }],
    ['an empty tokenInvalidUserIds list', { tokenInvalidUserIds: [] }],
  ])('when an unavailable-users body has %s, then it is accepted', (_name, body) => {
    expect(parseEvent('unavailable-users', body)).toEqual({ type: 'unavailable_users', payload: body });
  });

  it.each<[string, Json]>([
    ['without the optional requestedAt and verifiedAt', withField(withField(nacho.purchaseIos(), 'requestedAt', MISSING), 'verifiedAt', MISSING)],
    ['without the optional data', withField(nacho.purchaseIos(), 'data', MISSING)],
    ['with a +09:00 offset on purchasedAt', nacho.purchaseIos({ purchasedAt: '2026-03-02T17:15:09.730+09:00' })],
    ['with a price of zero', nacho.purchaseIos({ price: 0 })],
  ])('when a purchase is sent %s, then it is accepted', (_name, body) => {
    expect(parseEvent('purchase', body).type).toBe('purchase');
  });
});

describe('parseEvent with invalid fields', () => {
  const purchaseCases: Array<[string, unknown]> = [
    ['userId', MISSING],
    ['userId', 42],
    ['userId', ''],
    ['userId', '   '],
    ['userId', '\t\n'],
    ['productId', ' '],
    ['nachoProductId', ''],
    ['userId', null],
    ['iapLogId', MISSING],
    ['iapLogId', '5012'],
    ['iapLogId', 0],
    ['iapLogId', -1],
    ['iapLogId', 1.5],
    ['iapLogId', Number.MAX_SAFE_INTEGER + 2],
    ['nachoProductId', MISSING],
    ['nachoProductId', 7],
    ['os', MISSING],
    ['os', 7],
    ['productId', MISSING],
    ['productId', ['x']],
    ['productType', MISSING],
    ['productType', null],
    ['quantity', MISSING],
    ['quantity', 0],
    ['quantity', '1'],
    ['quantity', 2.5],
    ['quantity', 1_000_001],
    ['price', MISSING],
    ['price', -1],
    ['price', '1200'],
    ['environment', MISSING],
    ['environment', 'staging'],
    ['data', 'opaque'],
    ['data', ['x']],
    ['data', null],
    ['purchasedAt', MISSING],
    ['purchasedAt', 'yesterday'],
    ['purchasedAt', '2026-03-02'],
    ['purchasedAt', '2026-03-02T08:15:09'],
    ['purchasedAt', 1772439309730],
    ['requestedAt', 'not a time'],
    ['verifiedAt', 123],
  ];

  it.each(purchaseCases)('when a purchase has %s = %p, then it is a 422 validation_failed naming that field', (field, value) => {
    const body = withField(nacho.purchaseIos(), field, value);
    for (const route of ['purchase', 'auto'] as const) {
      const error = thrownBy(() => parseEvent(route, body));
      expect(error.code).toBe('validation_failed');
      expect(error.status).toBe(422);
      expect(error.details).toMatchObject({ type: 'purchase' });
      expect(fieldsOf(error)).toEqual([field]);
      expect(error.message).toContain(field);
    }
  });

  const refundCases: Array<[string, unknown]> = [
    ['userId', MISSING],
    ['iapLogId', 'abc'],
    ['environment', 'live'],
    ['refundQuantity', MISSING],
    ['refundQuantity', 0],
    ['refundQuantity', '1'],
    ['refundQuantity', 1.5],
    ['refundQuantity', null],
    ['refundedAt', MISSING],
    ['refundedAt', 'soon'],
    ['refundedAt', 1772718012900],
    ['refundedAt', '2026-03-05T13:40:12.900'],
  ];

  it.each(refundCases)('when a refund has %s = %p, then it is a 422 validation_failed naming that field', (field, value) => {
    const body = withField(nacho.refundAndroid(), field, value);
    for (const route of ['refund', 'auto'] as const) {
      const error = thrownBy(() => parseEvent(route, body));
      expect(error.code).toBe('validation_failed');
      expect(error.status).toBe(422);
      expect(error.details).toMatchObject({ type: 'refund' });
      expect(fieldsOf(error)).toEqual([field]);
    }
  });

  it.each<[string, Json, string]>([
    ['tokenNotFoundUserIds is a string', { tokenNotFoundUserIds: 'user-1' }, 'tokenNotFoundUserIds'],
    ['tokenNotFoundUserIds is null', { tokenNotFoundUserIds: null }, 'tokenNotFoundUserIds'],
    ['tokenInvalidUserIds is an object', { tokenInvalidUserIds: { a: 1 } }, 'tokenInvalidUserIds'],
    ['a tokenNotFoundUserIds entry is empty', { tokenNotFoundUserIds: ['ok', ''] }, 'tokenNotFoundUserIds.1'],
    ['a tokenInvalidUserIds entry is a number', { tokenInvalidUserIds: [7] }, 'tokenInvalidUserIds.0'],
  ])('when %s, then it is a 422 validation_failed naming %s', (_name, body, field) => {
    const error = thrownBy(() => parseEvent('unavailable-users', body));
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(422);
    expect(error.details).toMatchObject({ type: 'unavailable_users' });
    expect(fieldsOf(error)).toEqual([field]);
  });

  it('when several fields are bad, then every one is named', () => {
    const body = nacho.purchaseIos({ userId: 1, os: 7, price: -5 });
    const error = thrownBy(() => parseEvent('purchase', body));
    expect(fieldsOf(error).sort()).toEqual(['os', 'price', 'userId']);
  });

  it('when data holds a store field of an unexpected type, then it is accepted because data is a loose object', () => {
    expect(parseEvent('purchase', nacho.purchaseIos({ data: { transactionId: 12345 } })).type).toBe('purchase');
  });
});

describe('identifiers are kept exactly as sent', () => {
  it.each<[string, Json]>([
    ['a trailing space in userId', { userId: 'abc ' }],
    ['a leading space in userId', { userId: ' abc' }],
    ['spaces around productId', { productId: ' com.example.app.coins100 ' }],
    ['a tab in nachoProductId', { nachoProductId: 'NP-1\t' }],
    ['a non-breaking space in userId', { userId: 'abc\u00a0' }],
  ])('when a purchase has %s, then the payload keeps it byte for byte', (_name, fields) => {
    const event = parseEvent('purchase', nacho.purchaseIos(fields));
    expect(event.payload).toMatchObject(fields);
  });

  it('when an unavailable-users list has an id with spaces, then it is kept as sent', () => {
    expect(parseEvent('unavailable-users', { tokenNotFoundUserIds: [' u1 '] }).payload).toEqual({ tokenNotFoundUserIds: [' u1 '] });
  });
});

describe('values iaphook does not know', () => {
  it.each<[string, Json, Array<{ field: string; value: string }>]>([
    ['productType "subscription"', { productType: 'subscription' }, [{ field: 'productType', value: 'subscription' }]],
    ['productType "Consumable" (case differs)', { productType: 'Consumable' }, [{ field: 'productType', value: 'Consumable' }]],
    ['an empty productType', { productType: '' }, [{ field: 'productType', value: '' }]],
    ['os "windows"', { os: 'windows' }, [{ field: 'os', value: 'windows' }]],
    [
      'both',
      { os: 'IOS', productType: 'auto-renewable' },
      [
        { field: 'productType', value: 'auto-renewable' },
        { field: 'os', value: 'IOS' },
      ],
    ],
  ])('when a purchase has %s, then it is accepted and the value is named as unknown', (_name, fields, expected) => {
    const event = parseEvent('purchase', nacho.purchaseIos(fields));
    expect(event.payload).toMatchObject(fields);
    expect(unknownValues(event)).toEqual(expected);
  });

  it('when a refund has an unknown productType, then it is accepted and named too', () => {
    expect(unknownValues(parseEvent('refund', nacho.refundAndroid({ productType: 'subscription' })))).toEqual([
      { field: 'productType', value: 'subscription' },
    ]);
  });

  it.each(fixtures)('when %s is sent, then no value is unknown', (_name, body, route) => {
    expect(unknownValues(parseEvent(route, body()))).toEqual([]);
  });

  it.each<[string, Json]>([
    ['environment "staging" (identity)', { environment: 'staging' }],
    ['no iapLogId (identity)', { iapLogId: undefined }],
    ['a whitespace-only userId (identity)', { userId: '  ' }],
  ])('when a purchase with an unknown value also has %s, then it is still refused', (_name, fields) => {
    const body = { ...nacho.purchaseIos({ productType: 'subscription' }), ...fields };
    expect(thrownBy(() => parseEvent('purchase', JSON.parse(JSON.stringify(body)) as Json)).code).toBe('validation_failed');
  });
});

describe('parseEvent with the wrong route', () => {
  it.each<[Exclude<ReceiverRoute, 'auto'>, string, EventType, () => Json]>([
    ['purchase', 'refund', 'refund', nacho.refundAndroid],
    ['purchase', 'unavailable-users', 'unavailable_users', nacho.unavailableUsers],
    ['refund', 'purchase', 'purchase', nacho.purchaseIos],
    ['refund', 'unavailable-users', 'unavailable_users', nacho.unavailableUsers],
    ['unavailable-users', 'purchase', 'purchase', nacho.purchaseAndroid],
    ['unavailable-users', 'refund', 'refund', nacho.refundIosPartial],
  ])('when the %s route gets a %s body, then it is a 422 shape_mismatch', (route, _label, detectedType, body) => {
    const error = thrownBy(() => parseEvent(route, body()));
    expect(error.code).toBe('shape_mismatch');
    expect(error.status).toBe(422);
    expect(error.details).toEqual({ route, detectedType });
  });

  it('when an invalid refund is sent to the purchase route, then the mismatch is reported before validation', () => {
    const error = thrownBy(() => parseEvent('purchase', nacho.refundAndroid({ refundQuantity: 'x', userId: 5 })));
    expect(error.code).toBe('shape_mismatch');
  });
});

describe('parseEvent with a non-object body', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'object'],
    ['an array', [nacho.purchaseIos()], 'an array'],
    ['a string', 'hello', 'string'],
    ['a number', 42, 'number'],
    ['a boolean', false, 'boolean'],
  ])('when the body is %s, then it is a 422 validation_failed on (body)', (_name, body, got) => {
    for (const route of ['purchase', 'refund', 'unavailable-users', 'auto'] as const) {
      const error = thrownBy(() => parseEvent(route, body));
      expect(error.code).toBe('validation_failed');
      expect(error.status).toBe(422);
      expect(fieldsOf(error)).toEqual(['(body)']);
      expect((error.details as { fields: FieldProblem[] }).fields[0].message).toContain(got);
    }
  });
});

describe('parseEvent and prototype pollution', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it.each<[string, string, ReceiverRoute]>([
    ['a top-level __proto__ in a purchase', JSON.stringify(nacho.purchaseIos()).replace(/^\{/, '{"__proto__":{"polluted":1},'), 'purchase'],
    [
      'a __proto__ inside data',
      JSON.stringify(nacho.purchaseIos({ data: { transactionId: '1' } })).replace('"data":{', '"data":{"__proto__":{"polluted":1},'),
      'auto',
    ],
    ['a top-level __proto__ in a refund', JSON.stringify(nacho.refundAndroid()).replace(/^\{/, '{"__proto__":{"polluted":1},'), 'refund'],
    ['a top-level __proto__ in an unavailable-users list', '{"__proto__":{"polluted":1},"tokenNotFoundUserIds":["u1"]}', 'unavailable-users'],
    ['a constructor.prototype in a purchase', JSON.stringify(nacho.purchaseIos()).replace(/^\{/, '{"constructor":{"prototype":{"polluted":1}},'), 'purchase'],
  ])('when the body has %s, then it never reaches the output prototype', (_name, text, route) => {
    expect(text).toMatch(/__proto__|constructor/);
    const event = parseEvent(route, parseSecure(text));
    const payload = event.payload as Record<string, unknown>;
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(payload.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(payload, '__proto__')).toBe(false);
    const data = payload.data as Record<string, unknown> | undefined;
    if (data !== undefined) {
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(data.polluted).toBeUndefined();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
