import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../shared/project-root';

/** `iaphook/<version>` from package.json: subscribers see which build sent a request. */
export function defaultUserAgent(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return `iaphook/${pkg.version ?? '0.0.0'}`;
}
