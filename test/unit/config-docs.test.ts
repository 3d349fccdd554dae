import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS } from '../../src/config';

// Every setting is documented where people look for it: .env.example and the README's table.

const root = path.join(__dirname, '..', '..');
const envExample = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('configuration documentation', () => {
  it.each(CONFIG_KEYS.map((key) => [key]))('when %s is a setting, then .env.example and the README table list it', (key) => {
    expect(envExample).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
    expect(readme).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
  });
});
