// `npm start` (prestart) builds only when the sources changed since the last successful build.
// `npm run build` ends by writing dist/.build-stamp; a fresh clone has none, so its first start
// builds. The stamp, not dist/'s own files, marks success: tsc writes output even when it fails.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const STAMP = path.join(root, 'dist', '.build-stamp');
// What the build reads: the sources it compiles, the files the server loads beside them, and its settings.
const INPUTS = ['src', 'db', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/**
 * The decision, pure: build when there was no successful build, when its entry point is gone, or
 * when any input changed after it.
 */
function needsBuild({ stampMs, entryExists, newestInputMs }) {
  if (stampMs === null) return { build: true, reason: 'no successful build yet' };
  if (!entryExists) return { build: true, reason: 'dist/src/main.js is missing' };
  if (newestInputMs > stampMs) return { build: true, reason: 'sources changed since the last build' };
  return { build: false, reason: 'dist is up to date' };
}

function newestMtime(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its folder's time
  for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

function facts() {
  let stampMs = null;
  try {
    stampMs = fs.statSync(STAMP).mtimeMs;
  } catch {
    // no stamp yet: never built here
  }
  return {
    stampMs,
    entryExists: fs.existsSync(path.join(root, 'dist', 'src', 'main.js')),
    newestInputMs: Math.max(...INPUTS.map((input) => newestMtime(path.join(root, input)))),
  };
}

function main(argv) {
  if (argv.includes('--stamp')) {
    fs.mkdirSync(path.dirname(STAMP), { recursive: true });
    fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
    return 0;
  }
  const decision = needsBuild(facts());
  if (!decision.build) {
    process.stdout.write(`iaphook: ${decision.reason}, not rebuilding\n`);
    return 0;
  }
  process.stdout.write(`iaphook: building (${decision.reason})\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return spawnSync(npm, ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' }).status ?? 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = { needsBuild };
