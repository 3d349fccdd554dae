import { ConfigError, loadConfig, missingProductionSecrets, type Config } from '../../src/config';

const KEY_A = 'whk_aaaaaaaaaaaaaaaa';
const KEY_B = 'whk_bbbbbbbbbbbbbbbb';
const JWT = 'j'.repeat(32);
const SECRET_KEYS = new Set(['NACHOCODE_WEBHOOK_KEYS', 'JWT_SECRET']);

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it.each<[string, (c: Config) => unknown, unknown]>([
    ['env', (c) => c.env, 'development'],
    ['isProduction', (c) => c.isProduction, false],
    ['port', (c) => c.port, 3000],
    ['host', (c) => c.host, '127.0.0.1'],
    ['publicUrl', (c) => c.publicUrl, null],
    ['databasePath', (c) => c.databasePath, './data/iaphook.db'],
    ['webhookKeys', (c) => c.webhookKeys, []],
    ['jwtSecret', (c) => c.jwtSecret, null],
    ['logLevel', (c) => c.logLevel, 'info'],
    ['logRequests', (c) => c.logRequests, true],
    ['bodyLimitBytes', (c) => c.bodyLimitBytes, 262144],
    [
      'retention',
      (c) => c.retention,
      { rejectedMaxCount: 10_000, rejectedMaxAgeDays: 30, unverifiedBodyBytes: 4096, unverifiedPerAddress: 100, unverifiedPerHour: 10_000 },
    ],
    ['worker', (c) => c.worker, { concurrency: 64, leaseMs: 30_000, idlePollMs: 1000 }],
    ['commitMaxBatch', (c) => c.commitMaxBatch, 512],
    ['busyTimeoutMs', (c) => c.busyTimeoutMs, 2000],
    ['shutdownTimeoutMs', (c) => c.shutdownTimeoutMs, 10_000],
  ])('when the environment is empty, then %s has its default', (_name, read, expected) => {
    expect(read(config)).toEqual(expected);
  });

  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['development', { NODE_ENV: 'development' }, '127.0.0.1'],
    ['test', { NODE_ENV: 'test' }, '127.0.0.1'],
    ['production', { NODE_ENV: 'production' }, '0.0.0.0'],
    ['production with HOST set', { NODE_ENV: 'production', HOST: '10.0.0.5' }, '10.0.0.5'],
    ['development with HOST set', { HOST: '0.0.0.0' }, '0.0.0.0'],
  ])('when NODE_ENV is %s, then host is %s', (_name, env, host) => {
    expect(loadConfig(env).host).toBe(host);
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['empty strings', { PORT: '', HOST: '', DATABASE_PATH: '', BODY_LIMIT: '', LOG_LEVEL: '', NACHOCODE_WEBHOOK_KEYS: '', JWT_SECRET: '' }],
    ['unrelated variables', { PATH: '/usr/bin', HOME: '/root', npm_config_port: '1' }],
  ])('when the environment has only %s, then the defaults apply', (_name, env) => {
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});

describe('loadConfig values', () => {
  it.each<[string, NodeJS.ProcessEnv, (c: Config) => unknown, unknown]>([
    ['PORT=8080', { PORT: '8080' }, (c) => c.port, 8080],
    ['PORT=0', { PORT: '0' }, (c) => c.port, 0],
    ['BODY_LIMIT=256kb', { BODY_LIMIT: '256kb' }, (c) => c.bodyLimitBytes, 262144],
    ['BODY_LIMIT=1mb', { BODY_LIMIT: '1mb' }, (c) => c.bodyLimitBytes, 1048576],
    ['BODY_LIMIT=2048', { BODY_LIMIT: '2048' }, (c) => c.bodyLimitBytes, 2048],
    ['RAW_UNVERIFIED_BODY_LIMIT=0', { RAW_UNVERIFIED_BODY_LIMIT: '0' }, (c) => c.retention.unverifiedBodyBytes, 0],
    ['RAW_UNVERIFIED_BODY_LIMIT=16kb', { RAW_UNVERIFIED_BODY_LIMIT: '16kb' }, (c) => c.retention.unverifiedBodyBytes, 16384],
    ['RAW_UNVERIFIED_PER_ADDRESS=5', { RAW_UNVERIFIED_PER_ADDRESS: '5' }, (c) => c.retention.unverifiedPerAddress, 5],
    ['RAW_UNVERIFIED_PER_HOUR=50', { RAW_UNVERIFIED_PER_HOUR: '50' }, (c) => c.retention.unverifiedPerHour, 50],
    ['JWT_MAX_TTL unset', {}, (c) => c.jwtMaxTtlSeconds, 30 * 86400],
    ['JWT_MAX_TTL=12h', { JWT_MAX_TTL: '12h' }, (c) => c.jwtMaxTtlSeconds, 12 * 3600],
    ['JWT_MAX_TTL=3600', { JWT_MAX_TTL: '3600' }, (c) => c.jwtMaxTtlSeconds, 3600],
    ['TRUST_PROXY unset', {}, (c) => c.trustProxy, false],
    ['TRUST_PROXY=true', { TRUST_PROXY: 'true' }, (c) => c.trustProxy, true],
    ['TRUST_PROXY=1', { TRUST_PROXY: '1' }, (c) => c.trustProxy, 1],
    ['TRUST_PROXY=loopback, 10.0.0.0/8', { TRUST_PROXY: 'loopback, 10.0.0.0/8' }, (c) => c.trustProxy, ['loopback', '10.0.0.0/8']],
    ['TRUST_PROXY=::1', { TRUST_PROXY: '::1' }, (c) => c.trustProxy, ['::1']],
    ['DATABASE_PATH=/var/lib/iaphook/db.sqlite', { DATABASE_PATH: '/var/lib/iaphook/db.sqlite' }, (c) => c.databasePath, '/var/lib/iaphook/db.sqlite'],
    ['LOG_LEVEL=debug', { LOG_LEVEL: 'debug' }, (c) => c.logLevel, 'debug'],
    ['LOG_REQUESTS=no', { LOG_REQUESTS: 'no' }, (c) => c.logRequests, false],
    ['LOG_REQUESTS=0', { LOG_REQUESTS: '0' }, (c) => c.logRequests, false],
    ['LOG_REQUESTS=yes', { LOG_REQUESTS: 'yes' }, (c) => c.logRequests, true],
    ['PUBLIC_URL with trailing slashes', { PUBLIC_URL: 'https://hooks.example.com//' }, (c) => c.publicUrl, 'https://hooks.example.com'],
    ['JWT_SECRET of 32 characters', { JWT_SECRET: JWT }, (c) => c.jwtSecret, JWT],
    ['one webhook key', { NACHOCODE_WEBHOOK_KEYS: KEY_A }, (c) => c.webhookKeys, [KEY_A]],
    ['two webhook keys', { NACHOCODE_WEBHOOK_KEYS: `${KEY_A},${KEY_B}` }, (c) => c.webhookKeys, [KEY_A, KEY_B]],
    ['webhook keys with spaces', { NACHOCODE_WEBHOOK_KEYS: `  ${KEY_A} ,   ${KEY_B}  ` }, (c) => c.webhookKeys, [KEY_A, KEY_B]],
    ['webhook keys with empty items', { NACHOCODE_WEBHOOK_KEYS: `,${KEY_A},, ,${KEY_B},` }, (c) => c.webhookKeys, [KEY_A, KEY_B]],
    ['NODE_ENV=production', { NODE_ENV: 'production' }, (c) => [c.env, c.isProduction], ['production', true]],
  ])('when %s, then the config reflects it', (_name, env, read, expected) => {
    expect(read(loadConfig(env))).toEqual(expected);
  });
});

describe('loadConfig errors', () => {
  it('when PORT, BODY_LIMIT, LOG_LEVEL and JWT_SECRET are all bad, then one ConfigError names all four', () => {
    const error = configError({ PORT: 'abc', BODY_LIMIT: 'huge', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
    expect(error.problems).toHaveLength(4);
    for (const key of ['PORT', 'BODY_LIMIT', 'LOG_LEVEL', 'JWT_SECRET']) {
      expect(error.problems.filter((p) => p.startsWith(`${key}:`))).toHaveLength(1);
      expect(error.message).toContain(key);
    }
  });

  it.each<[string, string]>([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['BODY_LIMIT', 'huge'],
    ['BODY_LIMIT', '100'],
    ['BODY_LIMIT', '65mb'],
    ['RAW_UNVERIFIED_BODY_LIMIT', 'some'],
    ['RAW_UNVERIFIED_PER_ADDRESS', '-1'],
    ['BIN_MAX_BYTES', '100'],
    ['JWT_MAX_TTL', 'forever'],
    ['JWT_MAX_TTL', '10s'],
    ['JWT_MAX_TTL', '4000d'],
    ['TRUST_PROXY', 'everyone'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
    ['LOG_REQUESTS', 'maybe'],
    ['JWT_SECRET', 'short'],
    ['JWT_SECRET', 'x'.repeat(31)],
    ['NODE_ENV', 'staging'],
    ['PUBLIC_URL', 'not a url'],
    ['NACHOCODE_WEBHOOK_KEYS', 'tooshort'],
    ['NACHOCODE_WEBHOOK_KEYS', `${KEY_A},tooshort`],
    ['WORKER_CONCURRENCY', '0'],
    ['JOB_LEASE_MS', '999'],
    ['COMMIT_MAX_BATCH', 'many'],
  ])('when %s=%p, then a ConfigError names that key and the bad value', (key, value) => {
    const error = configError({ [key]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${key}: `));
    if (!SECRET_KEYS.has(key)) expect(error.problems[0]).toContain(JSON.stringify(value));
  });

  // main.ts writes ConfigError.message to stderr (in production too), while everything else logs
  // webhook keys only as fingerprints; a config error must not echo secret values either.
  it.each<[string, string, string]>([
    ['NACHOCODE_WEBHOOK_KEYS with one short key next to a valid one', `${KEY_A},tooshort`, KEY_A],
    ['NACHOCODE_WEBHOOK_KEYS with only a short key', 'tooshort', 'tooshort'],
    ['JWT_SECRET one character too short', 's3cr3t-'.repeat(4) + 'abc', 's3cr3t-'.repeat(4) + 'abc'],
  ])('when %s is rejected, then the error does not echo the secret', (name, value, secret) => {
    const key = name.split(' ')[0];
    const error = configError({ [key]: value });
    expect(error.problems[0]).toMatch(new RegExp(`^${key}: `));
    expect(error.message).not.toContain(secret);
  });
});

describe('loadConfig result', () => {
  const config = loadConfig({ NACHOCODE_WEBHOOK_KEYS: `${KEY_A},${KEY_B}` });

  it.each<[string, () => object]>([
    ['the config', () => config],
    ['webhookKeys', () => config.webhookKeys],
    ['retention', () => config.retention],
    ['worker', () => config.worker],
  ])('when loaded, then %s is frozen', (_name, target) => {
    expect(Object.isFrozen(target())).toBe(true);
  });

  it.each<[string, () => void]>([
    ['port is assigned', () => ((config as { port: number }).port = 1)],
    ['a webhook key is pushed', () => (config.webhookKeys as string[]).push('x'.repeat(16))],
    ['worker concurrency is assigned', () => ((config.worker as { concurrency: number }).concurrency = 1)],
  ])('when %s, then it throws in strict mode and nothing changes', (_name, mutate) => {
    expect(mutate).toThrow(TypeError);
    expect(config.port).toBe(3000);
    expect(config.webhookKeys).toEqual([KEY_A, KEY_B]);
    expect(config.worker.concurrency).toBe(64);
  });
});

describe('missingProductionSecrets', () => {
  it.each<[string, NodeJS.ProcessEnv, string[]]>([
    ['production without secrets', { NODE_ENV: 'production' }, ['NACHOCODE_WEBHOOK_KEYS', 'JWT_SECRET']],
    ['production with only the webhook keys', { NODE_ENV: 'production', NACHOCODE_WEBHOOK_KEYS: KEY_A }, ['JWT_SECRET']],
    ['production with only the JWT secret', { NODE_ENV: 'production', JWT_SECRET: JWT }, ['NACHOCODE_WEBHOOK_KEYS']],
    ['production with keys that are only commas', { NODE_ENV: 'production', NACHOCODE_WEBHOOK_KEYS: ' , ,', JWT_SECRET: JWT }, ['NACHOCODE_WEBHOOK_KEYS']],
    ['production with both secrets', { NODE_ENV: 'production', NACHOCODE_WEBHOOK_KEYS: KEY_A, JWT_SECRET: JWT }, []],
    ['development without secrets', { NODE_ENV: 'development' }, []],
    ['test without secrets', { NODE_ENV: 'test' }, []],
  ])('when the config is %s, then the missing secrets are %p', (_name, env, missing) => {
    expect(missingProductionSecrets(loadConfig(env))).toEqual(missing);
  });
});
