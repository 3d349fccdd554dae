import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APT_INSTALL, findChromium, planChromium, type ChromiumPlan, type Machine } from '../support/chromium';

// The browser tests find an installed Chromium or Chrome on any machine, install Debian's
// chromium when they may (root with apt-get), and otherwise say in one line what to run.

const PATH = '/usr/local/bin:/usr/bin:/bin';
const machine = (files: string[], options: { env?: Record<string, string>; isRoot?: boolean } = {}): Machine => ({
  env: { PATH, ...options.env },
  isExecutable: (file) => files.includes(file),
  isRoot: options.isRoot ?? false,
});

describe('planChromium', () => {
  it.each<[string, Machine, ChromiumPlan]>([
    ["Debian's chromium", machine(['/usr/bin/chromium', '/usr/bin/google-chrome']), { kind: 'use', path: '/usr/bin/chromium' }],
    ["Ubuntu's chromium-browser", machine(['/usr/bin/chromium-browser']), { kind: 'use', path: '/usr/bin/chromium-browser' }],
    ['Google Chrome', machine(['/usr/bin/google-chrome-stable']), { kind: 'use', path: '/usr/bin/google-chrome-stable' }],
    [
      'Chrome on macOS',
      machine(['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']),
      { kind: 'use', path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome' },
    ],
    ['a chromium elsewhere on PATH', machine(['/usr/local/bin/chromium']), { kind: 'use', path: '/usr/local/bin/chromium' }],
    [
      'CHROMIUM_PATH, before the usual paths',
      machine(['/opt/c/chrome', '/usr/bin/chromium'], { env: { CHROMIUM_PATH: '/opt/c/chrome' } }),
      { kind: 'use', path: '/opt/c/chrome' },
    ],
    ['none, as root with apt-get', machine(['/usr/bin/apt-get'], { isRoot: true }), { kind: 'install' }],
    [
      'none, with apt-get but not root',
      machine(['/usr/bin/apt-get']),
      {
        kind: 'fail',
        message: 'the browser tests need Chromium or Chrome and none was found: run `sudo apt-get install chromium`, or set CHROMIUM_PATH=/path/to/chrome',
      },
    ],
    [
      'none, as root without apt-get',
      machine([], { isRoot: true }),
      {
        kind: 'fail',
        message: 'the browser tests need Chromium or Chrome and none was found: install Chromium or Google Chrome, or set CHROMIUM_PATH=/path/to/chrome',
      },
    ],
    [
      'a CHROMIUM_PATH that is not there (never another browser instead)',
      machine(['/usr/bin/chromium'], { env: { CHROMIUM_PATH: '/nope/chrome' } }),
      { kind: 'fail', message: 'CHROMIUM_PATH=/nope/chrome is not an executable file: point it at a Chromium or Chrome binary, or unset it' },
    ],
  ])('when the machine has %s, then the plan says so', (_label, m, expected) => {
    expect(planChromium(m)).toEqual(expected);
  });
});

describe('findChromium', () => {
  let lockDir: string;
  beforeEach(() => {
    lockDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-chromium-')), 'lock');
  });
  afterEach(() => fs.rmSync(path.dirname(lockDir), { recursive: true, force: true }));

  it("when none is installed and the user is root with apt-get, then Debian's chromium is installed and used", async () => {
    const files = ['/usr/bin/apt-get'];
    const ran: string[] = [];
    const logged: string[] = [];
    const found = await findChromium({
      machine: machine(files, { isRoot: true }),
      lockDir,
      log: (line) => logged.push(line),
      run: async (argv) => {
        ran.push(argv.join(' '));
        if (argv.includes('install')) files.push('/usr/bin/chromium');
      },
    });
    expect(found).toBe('/usr/bin/chromium');
    expect(ran).toEqual(APT_INSTALL.map((argv) => argv.join(' ')));
    expect(logged).toHaveLength(1);
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('when the install fails, then the error is one line naming what to do', async () => {
    const run = async () => {
      throw new Error('E: Unable to locate package chromium\nmore');
    };
    const error = (await findChromium({ machine: machine(['/usr/bin/apt-get'], { isRoot: true }), lockDir, log: () => undefined, run }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toBe(
      '`apt-get update -qq` failed (E: Unable to locate package chromium): install Chromium by hand, or set CHROMIUM_PATH=/path/to/chrome',
    );
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('when none is installed and nothing may be installed, then it fails without running anything', async () => {
    const run = jest.fn(async () => undefined);
    await expect(findChromium({ machine: machine(['/usr/bin/apt-get']), lockDir, run })).rejects.toThrow(
      /^the browser tests need Chromium or Chrome and none was found: run `sudo apt-get install chromium`/,
    );
    expect(run).not.toHaveBeenCalled();
  });
});
