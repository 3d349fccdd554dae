import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CONFIG_KEYS, loadConfig } from '../../src/config';
import { openStorage } from '../../src/storage';
import type { Storage } from '../../src/storage/port';
import { TEST_BACKEND, type TestDatabase } from './backend';

// Runs the BUILT server (dist/src/main.js) as a child process, as `npm start` would, for the e2e
// tests. Every child started here is tracked: call stopAllServers() in afterEach/afterAll.
// A server runs on a test database (createTestDatabase() in backend.ts): its folder is the data
// folder (secrets, spool, the SQLite file), and on the PostgreSQL lane the child gets DATABASE_URL.
// Tests read rows for assertions through the storage port on the same database (openStorageFor).

function findProjectRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const MAIN_JS = path.join(PROJECT_ROOT, 'dist', 'src', 'main.js');

export const E2E_WEBHOOK_KEY = 'e2e-webhook-key-0001-aaaaaaaaaaaa';
export const E2E_JWT_SECRET = 'e2e-jwt-secret-that-is-long-enough-0123456789abcdef';

/** Every key src/config.ts reads: never inherited from the test runner's environment. */

// ---------------------------------------------------------------------------------------------
// Build

let built = false;

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function newestMtime(entry: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    if (name === 'node_modules' || name === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

/**
 * Compiles the server as `npm run build` does (scripts/clean-dist.mjs, tsc -p
 * tsconfig.build.json, then the CLI's executable bit), at most once per test-file process. Test files running in parallel
 * workers share dist/, so the build runs under a lock, and a build newer than every input (left by
 * the other worker a moment ago) is reused instead of rewriting files a just-started server may be
 * loading.
 */
export function ensureBuilt(): void {
  if (built) return;
  const dist = path.join(PROJECT_ROOT, 'dist');
  const lock = path.join(dist, '.e2e-build.lock');
  const stamp = path.join(dist, '.e2e-build.stamp');
  fs.mkdirSync(dist, { recursive: true });
  const waitUntil = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // the holder just released it
      }
      if (Date.now() > waitUntil) throw new Error(`ensureBuilt: ${lock} is held for more than 120 s`, { cause: error });
      sleepSync(100);
    }
  }
  try {
    const inputs = ['src', 'db', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => path.join(PROJECT_ROOT, p));
    const newestInput = Math.max(...inputs.map(newestMtime));
    const stampMtime = fs.existsSync(stamp) && fs.existsSync(MAIN_JS) ? fs.statSync(stamp).mtimeMs : 0;
    if (stampMtime <= newestInput) {
      const startedAt = new Date();
      const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      // What `npm run build` runs: drop compiled files whose source is gone, then compile.
      const steps: Array<[string, string[]]> = [
        ['node scripts/clean-dist.mjs', [path.join(PROJECT_ROOT, 'scripts', 'clean-dist.mjs')]],
        ['tsc -p tsconfig.build.json', [tsc, '-p', 'tsconfig.build.json']],
        // The bin `npx iaphook` runs from the checkout must be executable.
        ['chmod dist/src/cli/main.js', ['-e', "require('fs').chmodSync('dist/src/cli/main.js', 0o755)"]],
      ];
      for (const [name, args] of steps) {
        try {
          execFileSync(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'pipe', timeout: 90_000, encoding: 'utf8' });
        } catch (error) {
          const e = error as { stdout?: string; stderr?: string; message: string };
          throw new Error(`npm run build (${name}) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}\n${e.message}`, { cause: error });
        }
      }
      // Stamped with the build's start time: a source edited during the build triggers a rebuild.
      fs.writeFileSync(stamp, `${startedAt.toISOString()}\n`);
      fs.utimesSync(stamp, startedAt, startedAt);
    }
    if (!fs.existsSync(MAIN_JS)) throw new Error(`the build did not produce ${MAIN_JS}`);
    built = true;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Ports and HTTP probes

/** A port free on 127.0.0.1 right now (bind to :0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SimpleResponse {
  status: number;
  body: string;
}

/** One-shot GET without keep-alive, so no socket outlives the call. */
export function httpGet(url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: options.headers, timeout: options.timeoutMs ?? 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Server processes

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  dataDir: string;
  /** DATABASE_PATH: the SQLite file on SQLite; on PostgreSQL only where the data folder is (no file is created). */
  databasePath: string;
  /** The test database it runs on; null when started on a bare data folder (SQLite). */
  database: TestDatabase | null;
  /** The environment the child got (reuse it to restart on the same data). */
  env: Record<string, string>;
  /** True once the process has exited (set on 'exit', before stdio is drained). */
  readonly exited: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves once the process has exited and its stdout/stderr are drained. */
  waitForExit(timeoutMs?: number): Promise<ExitInfo>;
  stdout(): string;
  stderr(): string;
}

export type SpawnOptions = SpawnSettings &
  (
    | {
        /** The test database: DATABASE_PATH in its folder (the data folder), and DATABASE_URL on PostgreSQL. */
        database: TestDatabase;
        dataDir?: undefined;
      }
    | {
        /** A bare data folder: SQLite at iaphook.db in it, whatever the lane (SQLite-only tests, the bench). */
        dataDir: string;
        database?: undefined;
      }
  );

interface SpawnSettings {
  /** Overrides the defaults; `undefined` removes a key (e.g. to let the server generate secrets). */
  env?: Record<string, string | undefined>;
  /** Defaults to a free port picked now. */
  port?: number;
}

const live = new Set<ServerProcess>();

/**
 * Builds the child's environment: defaults for a quiet test server, then the overrides. The
 * database is a test database (its DATABASE_PATH, and DATABASE_URL on PostgreSQL) or, given a bare
 * folder, SQLite at iaphook.db in it.
 */
export function serverEnv(target: string | TestDatabase, port: number, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of CONFIG_KEYS) delete env[key];
  Object.assign(env, {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...(typeof target === 'string' ? { DATABASE_PATH: path.join(target, 'iaphook.db') } : target.env),
    NACHOCODE_WEBHOOK_KEYS: E2E_WEBHOOK_KEY,
    JWT_SECRET: E2E_JWT_SECRET,
    LOG_LEVEL: 'warn',
    LOG_REQUESTS: 'false',
  });
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Starts `node dist/src/main.js` without waiting for it to listen (for processes expected to fail). */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? null;
  const env = serverEnv(database ?? options.dataDir!, port, options.env);
  const child = spawn(process.execPath, [MAIN_JS], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const closed = new Promise<ExitInfo>((resolve) => {
    child.on('error', (error) => {
      err += `\n[spawn error] ${error.message}`;
    });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const handle: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    dataDir: database?.dir ?? options.dataDir!,
    databasePath: env.DATABASE_PATH,
    database,
    env,
    get exited() {
      return exited;
    },
    kill(signal = 'SIGKILL') {
      if (!exited) child.kill(signal);
    },
    waitForExit(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`server pid ${child.pid} did not exit within ${timeoutMs} ms\nstderr:\n${err}`)), timeoutMs);
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
    stdout: () => out,
    stderr: () => err,
  };
  child.on('exit', () => {
    exited = true;
  });
  void closed.then(() => live.delete(handle));
  live.add(handle);
  return handle;
}

/** Polls GET /healthz every 50 ms until it answers 200; fails fast if the process exits. */
export async function waitForHealthy(server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt yet';
  while (Date.now() < deadline) {
    if (server.exited) {
      const exit = await server.waitForExit(5_000).catch(() => null);
      throw new Error(
        `server exited before it was healthy (code ${exit?.code}, signal ${exit?.signal})\nstderr:\n${server.stderr()}\nstdout:\n${server.stdout()}`,
      );
    }
    try {
      const res = await httpGet(`${server.url}/healthz`, { timeoutMs: 1000 });
      if (res.status === 200) return;
      lastError = `status ${res.status}: ${res.body}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not answer GET /healthz with 200 within ${timeoutMs} ms (last: ${lastError})\nstderr:\n${server.stderr()}`);
}

/**
 * Starts the built server on a free port and waits until it is healthy. Retries on another port
 * if the one picked was taken in between (the bind happens in the child, after our probe closed).
 */
export async function startServer(options: SpawnOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const server = await spawnServer(options);
    try {
      await waitForHealthy(server);
      return server;
    } catch (error) {
      server.kill('SIGKILL');
      await server.waitForExit(5_000).catch(() => undefined);
      const portTaken = /EADDRINUSE|cannot listen/.test(server.stderr());
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

/** SIGKILLs every server still running and waits for each to exit. */
export async function stopAllServers(): Promise<void> {
  const running = [...live];
  for (const server of running) server.kill('SIGKILL');
  await Promise.all(running.map((s) => s.waitForExit(10_000).catch(() => undefined)));
}

// ---------------------------------------------------------------------------------------------
// Reading what a server stored

/**
 * The storage port on the database an environment points at (a server's `env`, or a test
 * database's), configured the way the server reads it: DATABASE_URL on PostgreSQL, else SQLite at
 * DATABASE_PATH. For reading rows in assertions beside a running or killed server; close() it.
 */
export async function openStorageFor(env: Record<string, string>): Promise<Storage> {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_PATH: env.DATABASE_PATH, DATABASE_URL: env.DATABASE_URL, DATABASE_POOL_SIZE: '4' });
  return openStorage(config.database, { busyTimeoutMs: 2000, commitMaxBatch: 512 });
}

/** An artifact's file name for the lane: crash-test.json on SQLite, crash-test.postgres.json on PostgreSQL. */
export function artifactName(file: string): string {
  if (TEST_BACKEND === 'sqlite') return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${TEST_BACKEND}${ext}`;
}

// Last resort if a test file dies without its hooks: do not leave servers behind.
process.once('exit', () => {
  for (const server of live) server.kill('SIGKILL');
});
