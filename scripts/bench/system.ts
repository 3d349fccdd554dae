import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../test/support/server';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

/** Current and peak resident memory of a process in bytes (Linux /proc; null elsewhere). */
export function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** The database file plus (unless told otherwise) its WAL: what the events cost on disk right now. */
export function databaseBytes(file: string, withWal = true): number {
  return (withWal ? ['', '-wal'] : ['']).reduce((sum, suffix) => {
    try {
      return sum + fs.statSync(`${file}${suffix}`).size;
    } catch {
      return sum;
    }
  }, 0);
}

export interface BareServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Kills a helper (at once: nothing it holds outlives it) and resolves once it is gone; again, at once. */
export function killChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Starts the bare Express baseline (built to dist/) and resolves once it prints its port. */
export function startBareExpress(): Promise<BareServer> {
  return startHelper('bare-express');
}

/** Starts the keep-alive sink of the outbound benchmark. */
export function startSink(): Promise<BareServer> {
  return startHelper('sink');
}

/** Runs dist/scripts/bench/<name>.js (settings in env) and resolves once it prints its port. */
export async function startHelper(name: string, env?: Record<string, string>): Promise<BareServer> {
  const { child, line, stop } = await runHelper(name, env);
  return { url: `http://127.0.0.1:${Number(line)}`, child, stop };
}

/** Runs dist/scripts/bench/<name>.js and resolves with the first line it prints (stopped if it prints none). */
export function runHelper(name: string, env?: Record<string, string>): Promise<{ child: ChildProcess; line: string; stop(): Promise<void> }> {
  const script = path.join(PROJECT_ROOT, 'dist', 'scripts', 'bench', `${name}.js`);
  const child = spawn(process.execPath, [script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const stop = () => killChild(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`${name} did not start within 10 s`))), 10_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code})`)));
    child.stdout!.setEncoding('utf8').once('data', (line: string) => {
      clearTimeout(timer);
      resolve({ child, line: line.trim(), stop });
    });
  });
}

/**
 * The node flags `npm start` passes (package.json), as NODE_OPTIONS: the bench runs the server as
 * `npm start` would, heap limit included, from one source of truth.
 */
export function startScriptNodeOptions(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const tokens = (pkg.scripts?.start ?? '').split(/\s+/);
  return tokens
    .slice(1)
    .filter((t) => t.startsWith('--'))
    .join(' ');
}
