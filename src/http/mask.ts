// Headers whose values are secrets; stored and shown masked everywhere.
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-webhook-token',
  'x-api-key',
  'webhook-signature',
]);

/** Keeps the scheme and the last four characters, enough to tell keys apart while rotating. */
export function maskSecret(value: string): string {
  const [scheme, ...rest] = value.split(' ');
  const hasScheme = rest.length > 0 && /^[A-Za-z]+$/.test(scheme);
  const secret = hasScheme ? rest.join(' ') : value;
  const tail = secret.length >= 16 ? secret.slice(-4) : '';
  return `${hasScheme ? `${scheme} ` : ''}****${tail}`;
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** Headers as a plain object with secret values masked; repeated headers keep every value. */
export function maskHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = isSecretHeader(name) ? maskSecret(rawHeaders[i + 1]) : rawHeaders[i + 1];
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
