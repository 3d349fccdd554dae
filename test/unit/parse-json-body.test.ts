import { parseJsonBody } from '../../src/receiver/receive';
import { AppError } from '../../src/shared/errors';

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const BODY = { userId: 'user-7f3a', iapLogId: 5012, nested: { list: [1, 'é'] } };

function thrownBy(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected parseJsonBody to throw');
}

describe('parseJsonBody content types', () => {
  it.each<[string, string | undefined]>([
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
    ['application/json;charset=UTF-8 (no space, upper case)', 'application/json;charset=UTF-8'],
    ['application/json; charset="utf-8" (quoted)', 'application/json; charset="utf-8"'],
    ['application/json; charset=utf8', 'application/json; charset=utf8'],
    ['Application/JSON (mixed case)', 'Application/JSON'],
    ['application/vnd.x+json', 'application/vnd.x+json'],
    ['application/problem+json; charset=utf-8', 'application/problem+json; charset=utf-8'],
    ['a missing Content-Type', undefined],
  ])('when the content type is %s and the body is valid JSON, then it is parsed', (_name, contentType) => {
    expect(parseJsonBody(contentType, json(BODY))).toEqual(BODY);
  });

  it.each<[string]>([
    ['text/plain'],
    ['text/json'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/json; charset=latin1'],
    ['application/json; charset=iso-8859-1'],
    ['application/jsonp'],
    ['application/json-seq'],
    [''],
  ])('when the content type is %p, then it is a 415 unsupported_media_type', (contentType) => {
    const error = thrownBy(() => parseJsonBody(contentType, json(BODY)));
    expect(error.code).toBe('unsupported_media_type');
    expect(error.status).toBe(415);
  });

  it('when the content type is wrong and the body is empty, then the media type is reported first', () => {
    expect(thrownBy(() => parseJsonBody('text/plain', Buffer.alloc(0))).code).toBe('unsupported_media_type');
  });
});

describe('parseJsonBody bodies', () => {
  it.each<[string, Buffer | null]>([
    ['null (no body)', null],
    ['empty', Buffer.alloc(0)],
    ['whitespace only', Buffer.from('   \n')],
    ['truncated JSON', Buffer.from('{"userId":"user-7f3a","iapLogId":50')],
    ['a trailing comma', Buffer.from('{"a":1,}')],
    ['single-quoted', Buffer.from("{'a':1}")],
    ['two JSON values', Buffer.from('{}{}')],
    ['invalid UTF-8 bytes', Buffer.from([0x7b, 0xff, 0x7d])],
    ['a lone UTF-8 continuation byte inside a string', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d])],
    ['an overlong UTF-8 encoding', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])],
  ])('when the body is %s, then it is a 400 invalid_json', (_name, body) => {
    for (const contentType of ['application/json', undefined]) {
      const error = thrownBy(() => parseJsonBody(contentType, body));
      expect(error.code).toBe('invalid_json');
      expect(error.status).toBe(400);
    }
  });

  it.each<[string, Buffer, unknown]>([
    ['an object', json(BODY), BODY],
    ['an array', Buffer.from('[1,2]'), [1, 2]],
    ['a bare number', Buffer.from('42'), 42],
    ['null', Buffer.from('null'), null],
    ['an object with a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(BODY)]), BODY],
    ['multi-byte UTF-8 (Korean)', Buffer.from('{"name":"결제"}', 'utf8'), { name: '결제' }],
  ])('when the body is %s, then it is returned as parsed (shape is checked later)', (_name, body, expected) => {
    expect(parseJsonBody('application/json', body)).toEqual(expected);
  });
});

/** Every non-array object in a parsed JSON value, the value itself included. */
function plainObjectsIn(value: unknown): Record<string, unknown>[] {
  if (value === null || typeof value !== 'object') return [];
  const children = Object.values(value).flatMap(plainObjectsIn);
  return Array.isArray(value) ? children : [value as Record<string, unknown>, ...children];
}

describe('parseJsonBody and prototype pollution', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it.each<[string, string]>([
    ['a top-level __proto__', '{"__proto__":{"polluted":1},"a":1}'],
    ['a nested __proto__', '{"a":{"__proto__":{"polluted":1}}}'],
    ['a __proto__ inside an array element', '[{"__proto__":{"polluted":1}}]'],
    ['a constructor.prototype', '{"constructor":{"prototype":{"polluted":1}},"a":1}'],
    ['only __proto__', '{"__proto__":{"polluted":1}}'],
  ])('when the body has %s, then it parses without polluting Object.prototype', (_name, text) => {
    const parsed = parseJsonBody('application/json', Buffer.from(text)) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    for (const object of plainObjectsIn(parsed)) {
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(object.polluted).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(object, '__proto__')).toBe(false);
      expect(Object.prototype.hasOwnProperty.call(object, 'constructor')).toBe(false);
    }
  });
});
