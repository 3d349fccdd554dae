// Secrets are stored, shown and exported masked. Which headers and query parameters hold one is
// decided by name pattern rather than by a list: senders invent their own (x-hub-signature-256,
// x-shopify-hmac-sha256, stripe-signature, api-key, ?api_key=), and a list misses the next one.
const SECRET_NAME = /auth|token|key|secret|signature|hmac|passw|pwd|session|cookie|credential|(?:^|[-_])sig(?:$|[-_])/i;

/** The last four characters of a long secret, nothing of a short one. */
function tailMask(secret: string): string {
  return `****${secret.length >= 16 ? secret.slice(-4) : ''}`;
}

/** Keeps the scheme and the last four characters, enough to tell keys apart while rotating. */
export function maskSecret(value: string): string {
  const [scheme, ...rest] = value.split(' ');
  const hasScheme = rest.length > 0 && /^[A-Za-z]+$/.test(scheme);
  return hasScheme ? `${scheme} ${tailMask(rest.join(' '))}` : tailMask(value);
}

/** Whether a header or query parameter of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export const isSecretHeader = isSecretName;

/** Only the browser's cookies: what a bin that shows its secrets (maskSecrets: false) still hides. */
export function isCookieHeader(name: string): boolean {
  return name.toLowerCase() === 'cookie';
}

/** Headers as a plain object with secret values masked; repeated headers keep every value. */
export function maskHeaders(rawHeaders: readonly string[], isSecret: (name: string) => boolean = isSecretHeader): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = isSecret(name) ? maskSecret(rawHeaders[i + 1]) : rawHeaders[i + 1];
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A raw query string with the values of secret-named parameters masked; everything else as sent. */
export function maskQuery(query: string | null): string | null {
  if (query === null) return null;
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      if (eq === -1 || !isSecretName(decoded(name))) return part;
      return `${name}=${encodeURIComponent(tailMask(decoded(part.slice(eq + 1))))}`;
    })
    .join('&');
}
