import crypto from 'node:crypto';

// Standard Webhooks (https://www.standardwebhooks.com): the signed content is
// `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the secret's base64-decoded key,
// sent as `v1,<base64>`; several signatures are space-separated, which is how a rotation works:
// receivers accept any one that verifies, so old and new secrets co-sign for a while.

export const SECRET_PREFIX = 'whsec_';

/** 24 to 64 random bytes after the prefix, base64: what Standard Webhooks libraries accept. */
export function secretKey(secret: string): Buffer | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : null;
}

export function generateSecret(): string {
  return `${SECRET_PREFIX}${crypto.randomBytes(32).toString('base64')}`;
}

export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const key = secretKey(secret);
  if (key === null) throw new Error('invalid signing secret');
  const mac = crypto.createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface SigningInput {
  msgId: string;
  /** Attempt time in ms; the header carries whole seconds. */
  now: number;
  body: string;
  secrets: readonly string[];
}

export function signatureHeaders(input: SigningInput): Record<string, string> {
  const timestamp = Math.floor(input.now / 1000);
  return {
    'webhook-timestamp': String(timestamp),
    'webhook-signature': input.secrets.map((s) => sign(s, input.msgId, timestamp, input.body)).join(' '),
  };
}

/** The current secret, and the previous one while its co-signing window lasts. */
export function activeSecrets(
  webhook: { signingSecret: string | null; previousSigningSecret: string | null; previousSecretExpiresAt: number | null },
  now: number,
): string[] {
  if (webhook.signingSecret === null) return [];
  const previous = webhook.previousSigningSecret;
  const stillValid = previous !== null && webhook.previousSecretExpiresAt !== null && now < webhook.previousSecretExpiresAt;
  return stillValid ? [webhook.signingSecret, previous] : [webhook.signingSecret];
}
