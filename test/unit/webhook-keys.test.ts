import { createHash } from 'node:crypto';
import { createKeyChecker, keyFingerprint, type KeyMatch } from '../../src/receiver/webhook-keys';

const OLD_KEY = 'whk_old_0123456789abcdefghij';
const NEW_KEY = 'whk_new_ZYXWVUTSRQPONMLKJIHG';
const check = createKeyChecker([OLD_KEY, NEW_KEY]);

describe('createKeyChecker accepting keys', () => {
  it.each<[string, string, string]>([
    ['the old key during rotation', `Bearer ${OLD_KEY}`, OLD_KEY],
    ['the new key during rotation', `Bearer ${NEW_KEY}`, NEW_KEY],
    ['a lower-case scheme', `bearer ${OLD_KEY}`, OLD_KEY],
    ['an upper-case scheme', `BEARER ${NEW_KEY}`, NEW_KEY],
    ['a mixed-case scheme', `bEaReR ${NEW_KEY}`, NEW_KEY],
    ['several spaces after the scheme', `Bearer   ${OLD_KEY}`, OLD_KEY],
    ['trailing whitespace', `Bearer ${OLD_KEY}  `, OLD_KEY],
  ])('when the header carries %s, then it is accepted with that key’s fingerprint', (_name, header, key) => {
    expect(check(header)).toEqual<KeyMatch>({ ok: true, fingerprint: keyFingerprint(key) });
  });

  it('when two keys are configured, then their fingerprints differ and are 12 hex characters', () => {
    const fingerprints = [OLD_KEY, NEW_KEY].map((key) => (check(`Bearer ${key}`) as KeyMatch).fingerprint);
    expect(fingerprints[0]).not.toBe(fingerprints[1]);
    for (const fingerprint of fingerprints) expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it('when the same key is configured twice, then it still matches once with its fingerprint', () => {
    expect(createKeyChecker([OLD_KEY, OLD_KEY])(`Bearer ${OLD_KEY}`)).toEqual({ ok: true, fingerprint: keyFingerprint(OLD_KEY) });
  });

  it('when the fingerprint is computed, then it is the first 12 hex characters of the key’s sha256', () => {
    expect(keyFingerprint(OLD_KEY)).toBe(createHash('sha256').update(OLD_KEY).digest('hex').slice(0, 12));
  });
});

describe('createKeyChecker rejecting requests', () => {
  it.each<[string, string | undefined, NonNullable<KeyMatch['reason']>]>([
    ['no header', undefined, 'missing_authorization'],
    ['an empty header', '', 'missing_authorization'],
    ['a Basic scheme', 'Basic x', 'malformed_authorization'],
    ['a Basic scheme with a configured key', `Basic ${OLD_KEY}`, 'malformed_authorization'],
    ['the scheme alone', 'Bearer', 'malformed_authorization'],
    ['the scheme and a space', 'Bearer ', 'malformed_authorization'],
    ['a bare word', 'token', 'malformed_authorization'],
    ['the bare key with no scheme', OLD_KEY, 'malformed_authorization'],
    ['two tokens after the scheme', `Bearer ${OLD_KEY} ${NEW_KEY}`, 'malformed_authorization'],
    ['no space after the scheme', `Bearer${OLD_KEY}`, 'malformed_authorization'],
    ['a tab instead of a space', `Bearer\t${OLD_KEY}`, 'malformed_authorization'],
    ['leading whitespace', ` Bearer ${OLD_KEY}`, 'malformed_authorization'],
    ['a wrong key', 'Bearer whk_wrong_000000000000000000', 'unknown_key'],
    ['a prefix of a configured key', `Bearer ${OLD_KEY.slice(0, -1)}`, 'unknown_key'],
    ['a short prefix of a configured key', `Bearer ${NEW_KEY.slice(0, 4)}`, 'unknown_key'],
    ['a configured key with an extra character', `Bearer ${OLD_KEY}x`, 'unknown_key'],
    ['a configured key in a different case', `Bearer ${OLD_KEY.toUpperCase()}`, 'unknown_key'],
    ['the fingerprint instead of the key', `Bearer ${keyFingerprint(OLD_KEY)}`, 'unknown_key'],
  ])('when the header is %s, then it is rejected as %s', (_name, header, reason) => {
    expect(check(header)).toEqual<KeyMatch>({ ok: false, fingerprint: null, reason });
  });

  it('when no keys are configured, then every bearer key is unknown', () => {
    expect(createKeyChecker([])(`Bearer ${OLD_KEY}`)).toEqual({ ok: false, fingerprint: null, reason: 'unknown_key' });
  });
});
