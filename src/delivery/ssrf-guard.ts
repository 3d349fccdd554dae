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
    super(`${host} resolves to ${address}, a loopback, private or otherwise internal address; outbound webhooks may not reach it (OUTBOUND_ALLOW_PRIVATE=true allows it)`);
    this.name = 'BlockedAddressError';
  }
}

/**
 * Only globally routable unicast passes. ipaddr.js names every special range (loopback, private,
 * link-local, CGNAT, unique-local, multicast, documentation, 6to4, Teredo, NAT64…); all of them
 * are refused, so a new special range is refused by default rather than allowed by omission.
 * IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
 */
export function isBlockedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() !== 'unicast';
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

/** Checks a URL whose host is an IP literal (net.connect skips lookup for those). */
export function assertLiteralAllowed(url: URL, allowPrivate: boolean): void {
  const literal = ipLiteral(url.hostname);
  if (!allowPrivate && literal !== null && isBlockedAddress(literal)) throw new BlockedAddressError(url.hostname, literal);
}
