import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// The browser for the browser tests: an installed Chromium or Chrome, never a downloaded one.
// CHROMIUM_PATH first, then the usual places; on a machine with none, root with apt-get installs
// Debian's chromium as .ci/run does, and anyone else is told in one line what to run.

/** Where Chromium and Chrome are installed, in the order they are tried after CHROMIUM_PATH. */
export const CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/lib/chromium/chromium',
  '/snap/bin/chromium',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];
/** Names looked up on PATH after the fixed places (a browser installed somewhere else). */
export const CHROMIUM_COMMANDS: readonly string[] = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The flags every browser test launches with: quiet, and runnable as root in CI. */
export const CHROMIUM_ARGS: readonly string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** For the hook that calls findChromium: an apt-get install of chromium takes minutes. */
export const CHROMIUM_INSTALL_TIMEOUT_MS = 15 * 60 * 1000;

export const APT_INSTALL: ReadonlyArray<readonly string[]> = [
  ['apt-get', 'update', '-qq'],
  ['apt-get', 'install', '-y', '-qq', 'chromium'],
];

export interface Machine {
  env: Record<string, string | undefined>;
  isExecutable(file: string): boolean;
  isRoot: boolean;
}

export type ChromiumPlan = { kind: 'use'; path: string } | { kind: 'install' } | { kind: 'fail'; message: string };

/** Every place to look, in order: the fixed paths, then each command in each PATH folder. */
export function candidates(env: Machine['env']): string[] {
  const folders = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  return [...CHROMIUM_PATHS, ...CHROMIUM_COMMANDS.flatMap((name) => folders.map((dir) => path.join(dir, name)))];
}

/** Pure: which browser to use, or whether to install one, or the one line that says what to run. */
export function planChromium(machine: Machine): ChromiumPlan {
  const chosen = machine.env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== '') {
    if (machine.isExecutable(chosen)) return { kind: 'use', path: chosen };
    return { kind: 'fail', message: `CHROMIUM_PATH=${chosen} is not an executable file: point it at a Chromium or Chrome binary, or unset it` };
  }
  const found = candidates(machine.env).find((file) => machine.isExecutable(file));
  if (found !== undefined) return { kind: 'use', path: found };
  const hasAptGet = machine.isExecutable('/usr/bin/apt-get') || pathHas(machine, 'apt-get');
  if (hasAptGet && machine.isRoot) return { kind: 'install' };
  const how = hasAptGet ? 'run `sudo apt-get install chromium`' : 'install Chromium or Google Chrome';
  return { kind: 'fail', message: `the browser tests need Chromium or Chrome and none was found: ${how}, or set CHROMIUM_PATH=/path/to/chrome` };
}

function pathHas(machine: Machine, command: string): boolean {
  return (machine.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => machine.isExecutable(path.join(dir, command)));
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface FindOptions {
  machine?: Machine;
  /** Runs one command (argv); rejects when it fails. */
  run?(argv: readonly string[]): Promise<void>;
  /** Serialises installs between test files running at once (a folder created as the lock). */
  lockDir?: string;
  log?(line: string): void;
}

const LOCK_STALE_MS = 15 * 60 * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runCommand(argv: readonly string[]): Promise<void> {
  await promisify(execFile)(argv[0], argv.slice(1), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 10 * 60 * 1000 });
}

/**
 * The browser the tests launch. May install Debian's chromium (root with apt-get only): give the
 * hook that calls it a long timeout. Throws an Error whose message is the one line to act on.
 */
export async function findChromium(options: FindOptions = {}): Promise<string> {
  const machine = options.machine ?? { env: process.env, isExecutable, isRoot: process.getuid?.() === 0 };
  const plan = planChromium(machine);
  if (plan.kind === 'use') return plan.path;
  if (plan.kind === 'fail') throw new Error(plan.message);
  const lockDir = options.lockDir ?? path.join(os.tmpdir(), 'iaphook-chromium-install.lock');
  await takeLock(lockDir);
  try {
    // Another test file may have installed it while this one waited for the lock.
    const again = planChromium(machine);
    if (again.kind === 'use') return again.path;
    (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(
      "browser tests: no Chromium or Chrome found; installing Debian's chromium (apt-get install chromium)",
    );
    for (const argv of APT_INSTALL) {
      try {
        await (options.run ?? runCommand)(argv);
      } catch (error) {
        throw new Error(
          `\`${argv.join(' ')}\` failed (${(error as Error).message.split('\n')[0]}): install Chromium by hand, or set CHROMIUM_PATH=/path/to/chrome`,
          { cause: error },
        );
      }
    }
    const after = planChromium(machine);
    if (after.kind !== 'use') throw new Error('apt-get installed chromium but no browser is at the usual paths: set CHROMIUM_PATH=/path/to/chrome');
    return after.path;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

async function takeLock(lockDir: string): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(lockDir).mtimeMs > LOCK_STALE_MS) fs.rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await sleep(500);
    }
  }
}
