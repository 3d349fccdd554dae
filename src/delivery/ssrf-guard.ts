import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has; injectable so tests can fake DNS. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Thrown when a subscriber URL resolves to an address outbound requests may not reach. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `${host} resolves to ${address}, a loopback, private or otherwise internal address; outbound webhooks may not reach it (OUTBOUND_ALLOW_PRIVATE=true allows it)`,
    );
    this.name = 'BlockedAddressError';
  }
}

const v4 = (high: number, low: number) => ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]) as ipaddr.IPv4;

/**
 * The IPv4 addresses an IPv6 address carries, in every form that reaches them: IPv4-compatible
 * (::a.b.c.d, which ipaddr.js calls plain unicast), IPv4-mapped and -translated (::ffff:…,
 * ::ffff:0:…), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48), 6to4 (2002:AABB:CCDD::/48)
 * and Teredo (2001:0::/32: its server, and its client with the bits inverted).
 */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = address.parts;
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) return [v4(p[6], p[7])];
  if (zeros(0, 5) && p[5] === 0xffff) return [v4(p[6], p[7])];
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return [v4(p[6], p[7])];
  if (p[0] === 0x64 && p[1] === 0xff9b && (zeros(2, 6) || p[2] === 1)) return [v4(p[6], p[7])];
  if (p[0] === 0x2002) return [v4(p[1], p[2])];
  if (p[0] === 0x2001 && p[1] === 0) return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  return [];
}

/**
 * Only globally routable unicast passes. ipaddr.js names every special range (loopback, private,
 * link-local, CGNAT, unique-local, multicast, documentation, 6to4, Teredo, NAT64…); all of them
 * are refused, so a new special range is refused by default rather than allowed by omission. An
 * IPv6 address is also refused when an IPv4 address it carries is (::127.0.0.1, 2002:7f00:1::),
 * and IPv4-mapped IPv6 (::ffff:93.184.216.34) is judged as the IPv4 address it is.
 */
export function isBlockedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() !== 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range() !== 'unicast';
  if (embeddedIPv4(v6).some((inner) => inner.range() !== 'unicast')) return true;
  return v6.range() !== 'unicast';
}

/**
 * Why a URL's host is refused before any lookup, or null: an internal IP literal, or a name that
 * always means this machine (localhost and *.localhost, RFC 6761), written in any case and with or
 * without the trailing dot of a fully qualified name. Registration and every connection use this
 * same check, so a subscription accepted when it is saved is not refused by name later.
 */
export function refusedHost(hostname: string): string | null {
  const literal = ipLiteral(hostname);
  if (literal !== null) return isBlockedAddress(literal) ? literal : null;
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === '' || name === 'localhost' || name.endsWith('.localhost') ? hostname : null;
}

/** The URL's host as an IP literal (brackets stripped), or null when it is a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  // ipaddr.isValid also accepts shorthand like "127.1"; WHATWG URL has already normalised those.
  return ipaddr.IPv4.isValidFourPartDecimal(bare) || ipaddr.IPv6.isValid(bare) ? bare : null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A net.connect `lookup` that resolves, checks every address, and hands back only checked ones:
 * the socket connects to exactly the address that was checked (pinned), so a DNS answer that
 * changes between check and connect (rebinding) cannot slip through. One bad address refuses the
 * whole name: an attacker controlling DNS could otherwise mix a public and a private record.
 */
export function guardedLookup(resolve: Resolver, allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const byName = allowPrivate ? null : refusedHost(hostname);
    if (byName !== null) return callback(new BlockedAddressError(hostname, byName), '');
    resolve(hostname)
      .then((found) => {
        const blocked = allowPrivate ? undefined : found.find((a) => isBlockedAddress(a.address));
        if (blocked) throw new BlockedAddressError(hostname, blocked.address);
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = family === undefined ? found : found.filter((a) => a.family === family);
        if (usable.length === 0) throw Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' });
        if (options.all === true) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}

/** Checks a URL's host before connecting: IP literals (net.connect skips lookup for those) and local names. */
export function assertLiteralAllowed(url: URL, allowPrivate: boolean): void {
  const refused = allowPrivate ? null : refusedHost(url.hostname);
  if (refused !== null) throw new BlockedAddressError(url.hostname, refused);
}
