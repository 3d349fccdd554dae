import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { assertLiteralAllowed, BlockedAddressError, embeddedIPv4, guardedLookup, ipLiteral, isBlockedAddress, refusedHost } from '../../src/delivery';

describe('isBlockedAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'documentation'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'IPv6 link-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::7f00:1', 'IPv4-compatible loopback, hex form'],
    ['::10.0.0.1', 'IPv4-compatible private'],
    ['::169.254.169.254', 'IPv4-compatible cloud metadata'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 of private'],
    ['64:ff9b:1::7f00:1', 'local-use NAT64 of loopback'],
    ['2002:a00:1::1', '6to4 of private'],
    ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
    ['2001:0:7f00:1::1', 'Teredo with a loopback server'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo with a loopback client (bits inverted)'],
    ['not-an-ip', 'garbage'],
  ])('when the address is %s (%s), then it is blocked', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34', '::93.184.216.34'])(
    'when the address is public %s, then it passes',
    (address) => {
      expect(isBlockedAddress(address)).toBe(false);
    },
  );
});

describe('embeddedIPv4', () => {
  it.each<[string, string[]]>([
    ['::7f00:1', ['127.0.0.1']],
    ['::ffff:10.0.0.1', ['10.0.0.1']],
    ['::ffff:0:192.168.0.1', ['192.168.0.1']],
    ['64:ff9b::93.184.216.34', ['93.184.216.34']],
    ['64:ff9b:1::a00:1', ['10.0.0.1']],
    ['2002:5db8:d822::1', ['93.184.216.34']],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['::', []],
    ['::1', []],
    ['2606:4700:4700::1111', []],
  ])('when the address is %s, then it carries %p', (address, expected) => {
    expect(embeddedIPv4(ipaddr.IPv6.parse(address)).map(String)).toEqual(expected);
  });
});

describe('refusedHost', () => {
  it.each<[string, boolean]>([
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['LOCALHOST.', true],
    ['localhost..', true],
    ['api.localhost', true],
    ['api.localhost.', true],
    ['127.0.0.1', true],
    ['[::7f00:1]', true],
    ['[64:ff9b::a00:1]', true],
    ['[2002:7f00:1::]', true],
    ['example.com', false],
    ['example.com.', false],
    ['localhost.example.com', false],
    ['mylocalhost', false],
    ['93.184.216.34', false],
    ['[2606:4700:4700::1111]', false],
  ])('when the URL host is %s, then refused is %s', (host, refused) => {
    expect(refusedHost(host) !== null).toBe(refused);
  });
});

describe('URL hosts', () => {
  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://[::1]:8080/', '::1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://example.com/', null],
  ])('when the URL is %s, then the literal address checked is %p', (url, literal) => {
    expect(ipLiteral(new URL(url).hostname)).toBe(literal);
  });

  it.each([
    'http://127.1/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00::1]/',
    'http://10.0.0.1/',
    'http://[::127.0.0.1]:38300/n',
    'http://LOCALHOST.:38200/',
  ])('when private addresses are not allowed and the URL is %s, then it is refused', (url) => {
    expect(() => assertLiteralAllowed(new URL(url), false)).toThrow(BlockedAddressError);
    expect(() => assertLiteralAllowed(new URL(url), true)).not.toThrow();
  });
});

describe('guardedLookup', () => {
  const fakeDns = (map: Record<string, LookupAddress[]>) => async (host: string) => map[host] ?? [];
  const lookup = (host: string, allowPrivate: boolean, all: boolean) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      const resolver = fakeDns({
        'internal.test': [{ address: '10.0.0.5', family: 4 }],
        'mixed.test': [
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
        'public.test': [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
        ],
      });
      guardedLookup(resolver, allowPrivate)(host, { all }, (error, address, family) => resolve({ error, address, family }));
    });

  it.each([
    ['internal.test', 'a private address'],
    ['mixed.test', 'a public and a loopback address (rebinding)'],
  ])('when %s resolves to %s, then the connection is refused', async (name) => {
    const result = await lookup(name, false, false);
    expect(result.error).toBeInstanceOf(BlockedAddressError);
  });

  it('when a name resolves to public addresses, then exactly the checked addresses are handed to the socket', async () => {
    expect(await lookup('public.test', false, false)).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect((await lookup('public.test', false, true)).address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
  });

  it('when private addresses are allowed, then internal names resolve', async () => {
    expect(await lookup('internal.test', true, false)).toEqual({ error: null, address: '10.0.0.5', family: 4 });
  });

  it('when a name has no address, then the error is ENOTFOUND', async () => {
    expect((await lookup('nothing.test', true, false)).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
