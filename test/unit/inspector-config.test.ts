import { ConfigError, loadConfig } from '../../src/config';

describe('inspector configuration', () => {
  it('when the environment is empty, then accepted requests and bins get generous defaults', () => {
    expect(loadConfig({}).inspector).toEqual({
      acceptedMaxCount: 1_000_000,
      acceptedMaxAgeDays: 730,
      binsMaxCount: 100,
      binMaxAgeDays: 7,
      binMaxRequests: 1000,
      binMaxBytes: 10 * 1024 * 1024,
    });
    expect(Object.isFrozen(loadConfig({}).inspector)).toBe(true);
  });

  it.each<[string, Record<string, string>, Record<string, number>]>([
    ['RAW_ACCEPTED_MAX_COUNT', { RAW_ACCEPTED_MAX_COUNT: '5000' }, { acceptedMaxCount: 5000 }],
    ['RAW_ACCEPTED_MAX_AGE_DAYS', { RAW_ACCEPTED_MAX_AGE_DAYS: '90' }, { acceptedMaxAgeDays: 90 }],
    ['BINS_MAX_COUNT', { BINS_MAX_COUNT: '3' }, { binsMaxCount: 3 }],
    ['BIN_MAX_AGE_DAYS', { BIN_MAX_AGE_DAYS: '1' }, { binMaxAgeDays: 1 }],
    ['BIN_MAX_REQUESTS', { BIN_MAX_REQUESTS: '10' }, { binMaxRequests: 10 }],
    ['BIN_MAX_BYTES', { BIN_MAX_BYTES: '2mb' }, { binMaxBytes: 2 * 1024 * 1024 }],
  ])('when %s is set, then the config reflects it', (_name, env, expected) => {
    expect(loadConfig(env).inspector).toMatchObject(expected);
  });

  it.each<[string, string]>([
    ['RAW_ACCEPTED_MAX_COUNT', '999'],
    ['RAW_ACCEPTED_MAX_AGE_DAYS', '0'],
    ['BINS_MAX_COUNT', '0'],
    ['BIN_MAX_AGE_DAYS', 'week'],
    ['BIN_MAX_REQUESTS', '-1'],
  ])('when %s is %p, then loading fails naming it', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [key]: value });
    } catch (error) {
      expect((error as ConfigError).problems[0]).toMatch(new RegExp(`^${key}: `));
    }
  });
});
