import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyToken } from '../../src/http/tokens';
import { NACHOCODE_EXAMPLES } from '../../src/inspector/sender/examples';
import { tempDir } from '../support/backend';
import { PROJECT_ROOT, ensureBuilt } from '../support/server';

// `npx iaphook …` from the checkout (after the build) and from the packed package installed into
// an empty folder, as a user would. The install skips install scripts (better-sqlite3 would compile
// for minutes), so only commands that need no database run there: every --help, token and send.

jest.setTimeout(180_000);

const run = promisify(execFile);
const COMMANDS = ['token', 'send', 'replay', 'reconcile', 'listen', 'migrate-to-postgres'];
const JWT_SECRET = 'cli-package-test-secret-that-is-long-enough-0123';
const cleanEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', npm_config_update_notifier: 'false' });

let installDir: string;
let packDir: string;

beforeAll(async () => {
  ensureBuilt();
  packDir = tempDir('iaphook-pack-');
  installDir = tempDir('iaphook-install-');
  const { stdout } = await run('npm', ['pack', '--pack-destination', packDir, '--silent'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const tarball = path.join(packDir, stdout.trim().split('\n').pop()!);
  fs.writeFileSync(path.join(installDir, 'package.json'), '{"name":"iaphook-install-test","private":true}\n');
  await run('npm', ['install', tarball, '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], {
    cwd: installDir,
    env: cleanEnv(),
    timeout: 150_000,
  });
});

afterAll(() => {
  for (const dir of [packDir, installDir]) if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

const npx = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  run('npx', ['--no-install', 'iaphook', ...args], { cwd, env: { ...cleanEnv(), ...env }, timeout: 30_000 });

describe('the iaphook command', () => {
  it('when the package is packed, then it holds the compiled CLI with its shebang, the migrations and the pages, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['tzf', fs.readdirSync(packDir).map((f) => path.join(packDir, f))[0]]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/src/cli/main.js');
    expect(files).toContain('package/dist/src/main.js');
    expect(files.some((f) => f.startsWith('package/db/migrations/sqlite/') && f.endsWith('.sql'))).toBe(true);
    expect(files.some((f) => f.startsWith('package/db/migrations/postgres/') && f.endsWith('.sql'))).toBe(true);
    expect(files.some((f) => f.startsWith('package/src/inspector/public/'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.ts') || f.startsWith('package/test/') || f.startsWith('package/scripts/'))).toEqual([]);
    expect(fs.readFileSync(path.join(installDir, 'node_modules', 'iaphook', 'dist', 'src', 'cli', 'main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    );
  });

  it.each([
    ['the checkout', () => PROJECT_ROOT],
    ['an installed package', () => installDir],
  ])('when run from %s, then --help lists every command and each command has its own --help', async (_where, dir) => {
    const { stdout } = await npx(dir(), ['--help']);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    // The same program npx ran, without npx's own start-up for each command.
    const bin =
      dir() === PROJECT_ROOT
        ? path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')
        : path.join(installDir, 'node_modules', 'iaphook', 'dist', 'src', 'cli', 'main.js');
    const helps = await Promise.all(COMMANDS.map((command) => run(process.execPath, [bin, command, '--help'], { cwd: dir(), env: cleanEnv() })));
    helps.forEach((help, i) => expect(help.stdout).toMatch(new RegExp(`^Usage: iaphook ${COMMANDS[i]} `)));
  });

  it('when an installed package mints a token, then it is signed with JWT_SECRET', async () => {
    const { stdout } = await npx(installDir, ['token', '--role', 'admin'], { JWT_SECRET });
    expect(verifyToken(JWT_SECRET, stdout.trim(), Date.now())).toMatchObject({ ok: true });
  });

  it('when an installed package sends the purchase example, then the exact documented body arrives and --json prints the answer', async () => {
    const bodies: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/x`;
      const { stdout } = await npx(installDir, ['send', '--example', 'purchase', '--url', url, '--key', 'k'.repeat(20), '--json']);
      expect(JSON.parse(stdout)).toMatchObject({ status: 200, ok: true, answer: { received: true } });
      expect(bodies).toEqual([JSON.stringify(NACHOCODE_EXAMPLES.purchase)]);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
