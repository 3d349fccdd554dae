import { ConfigError, loadConfig } from '../../src/config';

describe('outbound configuration', () => {
  it('when the environment is empty, then the outbound defaults apply', () => {
    expect(loadConfig({}).outbound).toEqual({
      allowPrivate: true,
      timeoutMs: 5000,
      concurrency: 32,
      endpointConcurrency: 4,
      disableAfter: 5,
      disableAfterMs: 24 * 3600 * 1000,
      recordRefunds: true,
    });
  });

  it.each<[string, NodeJS.ProcessEnv, boolean]>([
    ['development', { NODE_ENV: 'development' }, true],
    ['test', { NODE_ENV: 'test' }, true],
    ['production', { NODE_ENV: 'production' }, false],
    ['production with OUTBOUND_ALLOW_PRIVATE=true', { NODE_ENV: 'production', OUTBOUND_ALLOW_PRIVATE: 'true' }, true],
    ['development with OUTBOUND_ALLOW_PRIVATE=false', { OUTBOUND_ALLOW_PRIVATE: 'false' }, false],
  ])('when NODE_ENV is %s, then private subscriber addresses are allowed: %p', (_label, env, allowed) => {
    expect(loadConfig(env).outbound.allowPrivate).toBe(allowed);
  });

  it.each<[string, string]>([
    ['OUTBOUND_TIMEOUT_MS', '10'],
    ['OUTBOUND_ENDPOINT_CONCURRENCY', '0'],
    ['OUTBOUND_DISABLE_AFTER', 'never'],
    ['OUTBOUND_DISABLE_AFTER_MS', '-1'],
    ['OUTBOUND_ALLOW_PRIVATE', 'maybe'],
    ['FEEDBACK_RECORD_REFUNDS', 'sometimes'],
  ])('when %s is %s, then start-up fails naming it', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
