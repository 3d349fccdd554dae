// Removes compiled files whose source is gone (a file moved or deleted), so `npm run build` never
// leaves a stale dist/src/x.js that Node would load instead of the new dist/src/x/index.js.
// Only stale files go: a server still running from dist/ keeps every file it may load.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');

function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(file);
      if (fs.readdirSync(file).length === 0) fs.rmdirSync(file);
      continue;
    }
    const match = /^(.*)\.(js|js\.map|d\.ts)$/.exec(path.relative(dist, file));
    if (match === null) continue;
    const source = path.join(root, `${match[1]}.ts`);
    if (!fs.existsSync(source)) fs.rmSync(file);
  }
}

for (const top of ['src', 'db', 'scripts']) walk(path.join(dist, top));
