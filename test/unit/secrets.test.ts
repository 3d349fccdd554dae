import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { resolveSecrets, secretsFile } from '../../src/secrets';
import { tempDir } from '../support/db';

const KEY = 'whk_configured_0123456789';
const JWT = 'configured-jwt-secret-0123456789abcdef';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A config whose database lives in a fresh temporary folder (nested, so it does not exist yet). */
function configIn(env: NodeJS.ProcessEnv = {}): { config: Config; file: string } {
  const dir = tempDir('iaphook-secrets-');
  dirs.push(dir);
  const config = loadConfig({ DATABASE_PATH: path.join(dir, 'data', 'iaphook.db'), ...env });
  return { config, file: path.join(dir, 'data', 'secrets.json') };
}

const readFile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('resolveSecrets generating secrets', () => {
  it('when nothing is configured, then a webhook key and JWT secret are generated into secrets.json beside the database', () => {
    const { config, file } = configIn();
    const resolution = resolveSecrets(config);
    expect(resolution.file).toBe(file);
    expect(secretsFile(config)).toBe(file);
    expect(resolution.generated).toEqual(['NACHOCODE_WEBHOOK_KEYS', 'JWT_SECRET']);
    expect(resolution.config.webhookKeys).toHaveLength(1);
    expect(resolution.config.webhookKeys[0]).toMatch(/^whk_[A-Za-z0-9_-]{32}$/);
    expect(resolution.config.jwtSecret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(readFile(file)).toEqual({ webhookKey: resolution.config.webhookKeys[0], jwtSecret: resolution.config.jwtSecret });
  });

  it('when the secrets file is written, then its mode is 0600', () => {
    const { config, file } = configIn();
    resolveSecrets(config);
    expect(modeOf(file)).toBe(0o600);
  });

  it('when called a second time, then the same values come back and the file is unchanged', () => {
    const { config, file } = configIn();
    const first = resolveSecrets(config);
    const before = fs.readFileSync(file, 'utf8');
    const second = resolveSecrets(config);
    expect(second.config.webhookKeys).toEqual(first.config.webhookKeys);
    expect(second.config.jwtSecret).toBe(first.config.jwtSecret);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['secrets.json']);
  });

  it('when two configs point at databases in the same folder, then they share the secrets', () => {
    const { config } = configIn();
    const sibling = loadConfig({ DATABASE_PATH: path.join(path.dirname(config.databasePath), 'other.db') });
    expect(resolveSecrets(sibling).config.jwtSecret).toBe(resolveSecrets(config).config.jwtSecret);
  });

  it('when two separate folders are used, then their generated secrets differ', () => {
    const a = resolveSecrets(configIn().config).config;
    const b = resolveSecrets(configIn().config).config;
    expect(a.webhookKeys[0]).not.toBe(b.webhookKeys[0]);
    expect(a.jwtSecret).not.toBe(b.jwtSecret);
  });

  it('when resolved, then the config is frozen and keeps the other settings', () => {
    const { config } = configIn({ PORT: '4321' });
    const resolved = resolveSecrets(config).config;
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolved.port).toBe(4321);
    expect(resolved.databasePath).toBe(config.databasePath);
  });
});

describe('resolveSecrets with configured values', () => {
  it.each<[string, NodeJS.ProcessEnv, string[], string[]]>([
    ['both secrets', { NACHOCODE_WEBHOOK_KEYS: KEY, JWT_SECRET: JWT }, [], []],
    ['only the webhook keys', { NACHOCODE_WEBHOOK_KEYS: KEY }, ['JWT_SECRET'], ['jwtSecret']],
    ['only the JWT secret', { JWT_SECRET: JWT }, ['NACHOCODE_WEBHOOK_KEYS'], ['webhookKey']],
  ])('when %s are configured, then the configured values win and are not written', (_name, env, generated, storedKeys) => {
    const { config, file } = configIn(env);
    const resolution = resolveSecrets(config);
    expect(resolution.generated).toEqual(generated);
    if (env.NACHOCODE_WEBHOOK_KEYS !== undefined) expect(resolution.config.webhookKeys).toEqual([KEY]);
    if (env.JWT_SECRET !== undefined) expect(resolution.config.jwtSecret).toBe(JWT);
    if (storedKeys.length === 0) {
      expect(fs.existsSync(file)).toBe(false);
    } else {
      const stored = readFile(file);
      expect(Object.keys(stored)).toEqual(storedKeys);
      expect(JSON.stringify(stored)).not.toContain(KEY);
      expect(JSON.stringify(stored)).not.toContain(JWT);
    }
  });

  it('when secrets were generated earlier and are now configured, then the configured values win', () => {
    const { config, file } = configIn();
    const generated = resolveSecrets(config).config;
    const configured = loadConfig({ DATABASE_PATH: config.databasePath, NACHOCODE_WEBHOOK_KEYS: KEY, JWT_SECRET: JWT });
    const resolution = resolveSecrets(configured);
    expect(resolution.generated).toEqual([]);
    expect(resolution.config.webhookKeys).toEqual([KEY]);
    expect(resolution.config.jwtSecret).toBe(JWT);
    expect(readFile(file)).toEqual({ webhookKey: generated.webhookKeys[0], jwtSecret: generated.jwtSecret });
  });

  it('when a secrets file already holds values, then they are loaded rather than regenerated', () => {
    const { config, file } = configIn();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ webhookKey: 'whk_from_file_0123456789', jwtSecret: 'from-file-jwt-secret-0123456789abcdef' }), { mode: 0o600 });
    const resolution = resolveSecrets(config);
    expect(resolution.config.webhookKeys).toEqual(['whk_from_file_0123456789']);
    expect(resolution.config.jwtSecret).toBe('from-file-jwt-secret-0123456789abcdef');
  });

  it('when the secrets file is not valid JSON, then it throws naming the file', () => {
    const { config, file } = configIn();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{not json', { mode: 0o600 });
    expect(() => resolveSecrets(config)).toThrow(`${file} is not valid JSON`);
  });

  it.each([
    ['null', 'null'],
    ['an empty webhook key', '{"webhookKey":""}'],
    ['a short JWT secret', '{"jwtSecret":"short"}'],
  ])('when the secrets file holds %s, then it throws naming the file', (_label, content) => {
    const { config, file } = configIn();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o600 });
    expect(() => resolveSecrets(config)).toThrow(`${file} has invalid secrets`);
  });
});
