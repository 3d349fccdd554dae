import { isSecretHeader } from '../http/mask';
import { decodeUtf8 } from './views';

export interface CurlInput {
  method: string;
  /** Absolute URL, query included. */
  url: string;
  /** Stored headers (lower-case names, secrets already masked). */
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

// curl sets these itself (or they describe the old connection); copying them would lie.
const SKIPPED = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'proxy-connection',
  'expect',
  'accept-encoding',
]);

/** POSIX single quotes: everything is literal except the quote itself. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function inDoubleQuotes(text: string): string {
  return text.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

/** The shell variable that stands in for a masked header: the webhook key, or one named after the header. */
export function placeholderFor(name: string): string {
  if (name === 'authorization') return 'IAPHOOK_WEBHOOK_KEY';
  const variable = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return /^[A-Z_]/.test(variable) ? variable : `H_${variable}`;
}

/** Keeps the scheme of a masked value ("Bearer ****abcd" → "Bearer ") so only the secret is replaced. */
function maskedHeader(name: string, masked: string): { line: string; hint: string } {
  const match = /^([A-Za-z]+ )?\*{4}(.*)$/.exec(masked);
  const scheme = match?.[1] ?? '';
  const tail = match?.[2] ?? '';
  const variable = placeholderFor(name);
  const ending = tail === '' ? '' : ` (it ends in ${tail.replace(/[\r\n]/g, '')})`;
  const hint = `# ${variable}: the ${name.replace(/[\r\n]/g, '')} value, masked in the inspector${ending}`;
  // Double quotes so the shell expands the variable. Header names may hold ` and $ (HTTP token
  // characters), so everything but the variable is escaped.
  return { line: `-H "${inDoubleQuotes(`${name}: ${scheme}`)}\${${variable}}"`, hint };
}

/**
 * The request as a curl command that sends the same method, headers and exact body bytes. Masked
 * secrets become shell variables with a comment saying which one to set. Bodies that are not
 * UTF-8 (or hold NUL, which no argument can carry) are piped in from base64.
 */
export function toCurl(input: CurlInput): string {
  const hints: string[] = [];
  const method = /^[A-Za-z]+$/.test(input.method) ? input.method : shellQuote(input.method);
  const options: string[] = [`-X ${method}`, shellQuote(input.url)];
  for (const [name, value] of Object.entries(input.headers)) {
    if (SKIPPED.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (isSecretHeader(name)) {
        const masked = maskedHeader(name, one);
        hints.push(masked.hint);
        options.push(masked.line);
      } else {
        options.push(`-H ${shellQuote(`${name}: ${one}`)}`);
      }
    }
  }
  let pipe = '';
  if (input.body !== null && input.body.length > 0) {
    const text = decodeUtf8(input.body);
    if (text !== null && !text.includes('\0')) {
      options.push(`--data-binary ${shellQuote(text)}`);
    } else {
      pipe = `printf '%s' ${shellQuote(input.body.toString('base64'))} | base64 -d | `;
      options.push('--data-binary @-');
    }
  }
  const command = `${pipe}curl -sS ${options.join(' \\\n  ')}`;
  return [...new Set(hints), command].join('\n');
}
