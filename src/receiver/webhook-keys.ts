import crypto from 'node:crypto';
import { bearer } from '../http/bearer';

export interface KeyMatch {
  ok: boolean;
  /** Short fingerprint of the key that matched, safe to store and show. */
  fingerprint: string | null;
  reason?: 'missing_authorization' | 'malformed_authorization' | 'unknown_key';
}

const digest = (value: string) => crypto.createHash('sha256').update(value).digest();

export function keyFingerprint(key: string): string {
  return digest(key).toString('hex').slice(0, 12);
}

/**
 * Compares the bearer key with every configured key in constant time. Hashing first gives equal
 * lengths for timingSafeEqual, and the loop never exits early, so timing reveals neither which key
 * matched nor how much of one did.
 */
export function createKeyChecker(keys: readonly string[]): (authorization: string | undefined) => KeyMatch {
  const configured = keys.map((key) => ({ digest: digest(key), fingerprint: keyFingerprint(key) }));
  return (authorization) => {
    if (authorization === undefined || authorization === '') {
      return { ok: false, fingerprint: null, reason: 'missing_authorization' };
    }
    const token = bearer(authorization);
    if (token === null) return { ok: false, fingerprint: null, reason: 'malformed_authorization' };
    const presented = digest(token);
    let found: string | null = null;
    for (const key of configured) {
      if (crypto.timingSafeEqual(presented, key.digest) && found === null) found = key.fingerprint;
    }
    return found === null ? { ok: false, fingerprint: null, reason: 'unknown_key' } : { ok: true, fingerprint: found };
  };
}
