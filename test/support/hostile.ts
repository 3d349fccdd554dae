import fc from 'fast-check';
import { nacho } from './fixtures';

// Arbitraries for hostile requests: bodies that are almost right, of the wrong types, deeply
// nested, with huge numbers, prototype-polluting keys, or not UTF-8 at all; and headers that are
// missing, wrong or repeated. Shared by the hostile-input property tests.

export interface HostileRequest {
  method: string;
  path: string;
  /** Flat name, value, name, value… so a header can be repeated. */
  headers: string[];
  body: Buffer | null;
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
/** Numbers a JSON parser and a schema must both survive, as JSON text. */
const hostileNumberText = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '-0', '123456789012345678901234567890', '9007199254740993', '1.5', '-1', '0', '1e-400', '0.0000001'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);
const isoTime = fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

/** A value that is sometimes right for its field and sometimes anything at all. */
const field = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(undefined) });

const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const transaction = {
  userId: field(text),
  iapLogId: field(fc.integer({ min: 1, max: 2_000_000_000 })),
  nachoProductId: field(text),
  os: field(fc.constantFrom('ios', 'android', 'web')),
  productId: field(text),
  productType: field(fc.constantFrom('consumable', 'non-consumable', 'subscription')),
  quantity: field(fc.integer({ min: -2, max: 1_000_001 })),
  price: field(fc.double({ min: -1, max: 1e9, noNaN: true })),
  environment: field(fc.constantFrom('sandbox', 'production', 'staging')),
  data: field(fc.dictionary(fc.constantFrom('transactionId', 'orderId', 'purchaseToken', 'other'), fc.oneof(text, anyJson))),
};
const purchase = fc.record({ ...transaction, purchasedAt: field(isoTime), requestedAt: field(isoTime), verifiedAt: field(isoTime) });
const refund = fc.record({ ...transaction, refundQuantity: field(fc.integer({ min: -1, max: 5 })), refundedAt: field(isoTime) });
const unavailable = fc.record({ tokenNotFoundUserIds: field(fc.array(text, { maxLength: 5 })), tokenInvalidUserIds: field(fc.array(text, { maxLength: 5 })) });

/** JSON text of an object with prototype-polluting keys written in (JSON.stringify would not emit them). */
const polluted = fc
  .tuple(
    fc.oneof(purchase, refund),
    fc.constantFrom('"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"data":{"__proto__":{"isAdmin":true}}'),
  )
  .map(([value, key]) => JSON.stringify(value).replace(/^\{/, `{${key},`));
const nested = fc
  .tuple(fc.integer({ min: 1, max: 4000 }), fc.boolean())
  .map(([depth, asObject]) => (asObject ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`));
const hugeNumbers = fc
  .tuple(fc.constantFrom('iapLogId', 'quantity', 'price', 'refundQuantity'), hostileNumberText)
  .map(([name, value]) => JSON.stringify(nacho.purchaseIos({ refundQuantity: 1 })).replace(new RegExp(`"${name}":[^,}]*`), `"${name}":${value}`));
const validPurchase = fc
  .tuple(fc.integer({ min: 1, max: 1_000_000_000 }), fc.string({ minLength: 1, maxLength: 20 }))
  .map(([iapLogId, userId]) => JSON.stringify(nacho.purchaseIos({ iapLogId, userId: userId.trim() || 'u', data: { transactionId: `tx-${iapLogId}` } })));

const bodyText = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(purchase, refund, unavailable).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: validPurchase },
  { weight: 2, arbitrary: polluted },
  { weight: 1, arbitrary: nested },
  { weight: 2, arbitrary: hugeNumbers },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
);
/** Valid UTF-8 most of the time; otherwise raw bytes spliced in, or random bytes. */
const body = fc.oneof(
  { weight: 8, arbitrary: bodyText.map((t) => Buffer.from(t, 'utf8')) },
  {
    weight: 1,
    arbitrary: fc.tuple(bodyText, fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat()).map(([t, bytes, at]) => {
      const b = Buffer.from(t, 'utf8');
      const i = b.length === 0 ? 0 : at % b.length;
      return Buffer.concat([b.subarray(0, i), Buffer.from([0xc3, 0x28, 0xff, ...bytes]), b.subarray(i)]);
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
);

const token = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{0,40}$/);
const authorization = (validKey: string): fc.Arbitrary<string[]> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant<string[]>([`Bearer ${validKey}`]) },
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: token.map((t) => [`Bearer ${t}`]) },
    { weight: 1, arbitrary: fc.constantFrom<string[]>([`bearer   ${validKey}`], [`Bearer ${validKey} extra`], [`Basic ${validKey}`], [validKey], ['Bearer']) },
    { weight: 1, arbitrary: token.map((t) => [`Bearer ${validKey}`, `Bearer ${t}`]) },
    { weight: 1, arbitrary: token.map((t) => [`Bearer ${t}`, `Bearer ${validKey}`]) },
  );
const contentType: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string[]>(['application/json']) },
  { weight: 1, arbitrary: fc.constant<string[]>([]) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string[]>(
      ['text/plain'],
      ['application/json; charset=latin1'],
      ['application/json; charset=utf-8'],
      ['application/vnd.api+json'],
      ['application/x-www-form-urlencoded'],
      ['application/json', 'text/plain'],
      ['multipart/form-data; boundary=x'],
    ),
  },
);
const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((v) => v.trim());
const extraHeaders = fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 });

const paths = fc.constantFrom(
  '/webhooks/nachocode',
  '/webhooks/nachocode/purchase',
  '/webhooks/nachocode/refund',
  '/webhooks/nachocode/unavailable-users',
  '/webhooks/nachocode/purchase?x=1&x=2',
  '/webhooks/other',
  '/webhooks/nachocode/purchase/extra',
);

export function hostileWebhook(validKey: string): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      method: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') }),
      path: fc.oneof({ weight: 6, arbitrary: fc.constant('/webhooks/nachocode/purchase') }, { weight: 4, arbitrary: paths }),
      authorization: authorization(validKey),
      contentType,
      extra: extraHeaders,
      body,
    })
    .map(({ method, path, authorization: auth, contentType: types, extra, body: bytes }) => ({
      method,
      path,
      headers: [...auth.flatMap((v) => ['authorization', v]), ...types.flatMap((v) => ['content-type', v]), ...extra.flat()],
      body: method === 'GET' ? null : bytes,
    }));
}

/** Query strings with random, repeated, huge and odd parameters, keys from the real API and not. */
export const hostileQuery = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('type', 'status', 'userId', 'environment', 'limit', 'cursor', 'since', 'state', 'q', '__proto__', 'constructor'),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(
        fc.constantFrom('purchase', 'refund', 'applied', 'production', 'sandbox', '-1', '0', '1e400', '999999999999', 'NaN', '', '[]', '{}'),
        fc.string({ maxLength: 30 }),
        hostileNumberText,
      ),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

/** JSON bodies for the admin API: almost-right objects, wrong types, polluting keys, deep nesting. */
export const hostileJsonBody = fc.oneof(
  fc
    .record({
      name: field(text),
      url: field(fc.constantFrom('http://127.0.0.1:9/hook', 'https://example.invalid/x', 'ftp://x', 'http://user:pw@127.0.0.1/')),
      status: field(fc.constantFrom('ACTIVE', 'INACTIVE', 'ON_REVIEW', 'RESOLVED', 'INIT')),
      events: field(
        fc.array(
          fc.record({ type: field(fc.constantFrom('FEEDBACK_CREATION', 'ISSUE_CREATION', 'X')), status: field(fc.constantFrom('ACTIVE', 'INACTIVE')) }),
          { maxLength: 3 },
        ),
      ),
      message: field(text),
      description: field(text),
      issueIds: field(fc.array(fc.integer(), { maxLength: 3 })),
    })
    .map((v) => JSON.stringify(v)),
  anyJson.map((v) => JSON.stringify(v)),
  polluted,
  nested,
  fc.string({ maxLength: 100, unit: 'binary' }),
);
