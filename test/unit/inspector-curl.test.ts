import { placeholderFor, shellQuote, toCurl, type CurlInput } from '../../src/inspector/curl';

const input = (overrides: Partial<CurlInput> = {}): CurlInput => ({
  method: 'POST',
  url: 'http://127.0.0.1:3000/webhooks/nachocode/purchase',
  headers: { 'content-type': 'application/json', authorization: 'Bearer ****abcd', host: '127.0.0.1:3000', 'content-length': '2' },
  body: Buffer.from('{}'),
  ...overrides,
});

describe('shellQuote', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it'\\''s'"],
    ['$HOME `id` "x"', `'$HOME \`id\` "x"'`],
    ['', "''"],
  ])('when quoting %p, then it is %p', (text, quoted) => {
    expect(shellQuote(text)).toBe(quoted);
  });
});

describe('placeholderFor', () => {
  it.each([
    ['authorization', 'IAPHOOK_WEBHOOK_KEY'],
    ['x-webhook-token', 'X_WEBHOOK_TOKEN'],
    ['webhook-signature', 'WEBHOOK_SIGNATURE'],
    ['1-odd', 'H_1_ODD'],
  ])('when the masked header is %s, then the variable is %s', (name, variable) => {
    expect(placeholderFor(name)).toBe(variable);
  });
});

describe('toCurl', () => {
  it.each<[string, Partial<CurlInput>, string[], string[]]>([
    [
      'a JSON purchase with a masked key',
      {},
      [
        '# IAPHOOK_WEBHOOK_KEY: the authorization value, masked in the inspector (it ends in abcd)',
        `-H "authorization: Bearer \${IAPHOOK_WEBHOOK_KEY}"`,
        "-H 'content-type: application/json'",
        "--data-binary '{}'",
        '-X POST',
      ],
      ['host:', 'content-length', '****'],
    ],
    ['a body with a single quote', { body: Buffer.from(`{"name":"O'Brien"}`) }, [`--data-binary '{"name":"O'\\''Brien"}'`], []],
    ['a body that is not UTF-8', { body: Buffer.from([0xff, 0xfe, 0x00]) }, ["printf '%s' '//4A' | base64 -d | curl", '--data-binary @-'], []],
    ['no body', { method: 'GET', body: null }, ['-X GET'], ['--data-binary']],
    ['a query string', { url: 'http://h/bins/b?x=1&y=2' }, ["'http://h/bins/b?x=1&y=2'"], []],
    ['a masked x-webhook-token', { headers: { 'x-webhook-token': '****' } }, [`-H "x-webhook-token: \${X_WEBHOOK_TOKEN}"`], []],
    ['repeated headers', { headers: { 'x-tag': ['a', 'b'] } }, ["-H 'x-tag: a'", "-H 'x-tag: b'"], []],
    ['a header name with shell characters', { headers: { 'x-`id`$x': 'v', authorization: '****' } }, [`-H 'x-\`id\`$x: v'`], []],
  ])('when the request has %s, then the command says so', (_name, overrides, present, absent) => {
    const command = toCurl(input(overrides));
    for (const text of present) expect(command).toContain(text);
    for (const text of absent) expect(command).not.toContain(text);
  });
});
