import type { Request } from 'express';

/**
 * The header the inspector's own scripts send with every request. A plain form cannot send a
 * custom header, and a script on another origin cannot either without a CORS preflight, which
 * iaphook never answers.
 */
export const CSRF_HEADER = 'x-iaphook-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OriginFacts {
  method: string;
  /** Sec-Fetch-Site, sent by every current browser. */
  fetchSite: string | undefined;
  origin: string | undefined;
  csrfHeader: string | undefined;
  /** The origins this server is reached at: PUBLIC_URL's and the one the request was sent to. */
  ownOrigins: readonly string[];
}

/**
 * Why a request carried by the session cookie must be refused, or null when it may go on.
 * SameSite=Strict keeps the cookie from other sites, not from other origins of the same site
 * (another port or subdomain of this host), so a state-changing request must prove it comes from
 * this origin: Sec-Fetch-Site same-origin, or, from a browser without it, an Origin equal to ours;
 * and it must carry CSRF_HEADER, which a form or a no-cors fetch cannot add. Reads pass: they
 * change nothing, and another origin cannot read the answer.
 */
export function crossOriginProblem(facts: OriginFacts): string | null {
  if (SAFE_METHODS.has(facts.method.toUpperCase())) return null;
  const fromHere = facts.fetchSite !== undefined ? facts.fetchSite === 'same-origin' : facts.origin !== undefined && facts.ownOrigins.includes(facts.origin);
  if (!fromHere) {
    const seen = facts.fetchSite !== undefined ? `Sec-Fetch-Site: ${facts.fetchSite}` : facts.origin !== undefined ? `Origin: ${facts.origin}` : 'no Origin';
    return `a ${facts.method} with the session cookie must come from this server's own pages (${seen}); scripts and tools use Authorization: Bearer <JWT>`;
  }
  if (facts.csrfHeader !== '1') return `a ${facts.method} with the session cookie must carry the header ${CSRF_HEADER}: 1, as the inspector's pages do`;
  return null;
}

// A host as a browser would put it in an origin: a name, IPv4 or [IPv6], and an optional port.
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The origin a request was sent to, from its Host (X-Forwarded-* only with TRUST_PROXY); null for a malformed host. */
export function requestOrigin(req: Request): string | null {
  const host = req.host;
  if (typeof host !== 'string' || !HOST.test(host)) return null;
  try {
    // Through URL, so a default port (example.com:443) compares equal to the browser's Origin.
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return null;
  }
}

/** This server's origins for a request: PUBLIC_URL's (when set) and the request's own. */
export function ownOrigins(req: Request, publicUrl: string | null): string[] {
  const origins: string[] = [];
  if (publicUrl !== null) origins.push(new URL(publicUrl).origin);
  const own = requestOrigin(req);
  if (own !== null) origins.push(own);
  return origins;
}

export function originFacts(req: Request, publicUrl: string | null): OriginFacts {
  return {
    method: req.method,
    fetchSite: req.get('sec-fetch-site'),
    origin: req.get('origin'),
    csrfHeader: req.get(CSRF_HEADER),
    ownOrigins: ownOrigins(req, publicUrl),
  };
}
