import type { FileRow } from './file-reader';
import { jsonLineToBody } from './rows';

// Character codes the splitter looks at.
const C = {
  NL: 10,
  SPACE: 32,
  TAB: 9,
  CR: 13,
  BOM: 0xfeff,
  QUOTE: 34,
  BACKSLASH: 92,
  COMMA: 44,
  OPEN_BRACKET: 91,
  CLOSE_BRACKET: 93,
  OPEN_BRACE: 123,
  CLOSE_BRACE: 125,
} as const;

const isSpace = (c: number) => c === C.SPACE || c === C.NL || c === C.CR || c === C.TAB || c === C.BOM;

/**
 * Splits a JSON array (`[ {...}, {...} ]`, as a store or dashboard export may be) into its
 * elements as text arrives, so a file of any length is read one element at a time: it tracks
 * strings and nesting only, and each element is parsed on its own. An element that does not parse
 * is one unreadable row (with the line it starts on); the rest of the file is still read.
 */
export class JsonArraySplitter {
  private state: 'before' | 'inside' | 'after' | 'failed' = 'before';
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The element being read: its text from earlier chunks, and the line it starts on (0: none). */
  private partial = '';
  private elementLine = 0;
  private complainedAfter = false;

  push(text: string): FileRow[] {
    const rows: FileRow[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === C.NL) this.line += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === C.BACKSLASH) this.escaped = true;
        else if (c === C.QUOTE) this.inString = false;
        continue;
      }
      if (this.state === 'before') {
        if (c === C.OPEN_BRACKET) this.state = 'inside';
        else if (!isSpace(c)) {
          this.state = 'failed';
          rows.push({ line: this.line, error: 'not a JSON array: the file must start with [' });
        }
        continue;
      }
      if (this.state === 'after') {
        if (!isSpace(c) && !this.complainedAfter) {
          this.complainedAfter = true;
          rows.push({ line: this.line, error: 'text after the closing ] of the JSON array' });
        }
        continue;
      }
      if (this.state === 'failed') continue;
      if (this.elementLine === 0) {
        if (isSpace(c) || c === C.COMMA) continue;
        if (c === C.CLOSE_BRACKET) {
          this.state = 'after';
          continue;
        }
        this.elementLine = this.line;
        start = i;
      }
      if (c === C.QUOTE) this.inString = true;
      else if (c === C.OPEN_BRACE || c === C.OPEN_BRACKET) this.depth += 1;
      else if ((c === C.CLOSE_BRACE || c === C.CLOSE_BRACKET) && this.depth > 0) this.depth -= 1;
      else if (this.depth === 0 && (c === C.COMMA || c === C.CLOSE_BRACKET)) {
        rows.push(this.finish(this.partial + text.slice(start, i)));
        if (c === C.CLOSE_BRACKET) this.state = 'after';
      }
    }
    if (this.elementLine !== 0) this.partial += text.slice(start);
    return rows;
  }

  /** The end of the file: an array left open loses nothing silently, it is one unreadable row. */
  end(): FileRow[] {
    if (this.state === 'before') return [{ line: this.line, error: 'not a JSON array: the file is empty' }];
    if (this.state !== 'inside') return [];
    const line = this.elementLine || this.line;
    const cut = this.partial.trim() === '' ? '' : ' (its last element is cut short)';
    return [{ line, error: `the JSON array is not closed: the file ends before its ]${cut}` }];
  }

  private finish(text: string): FileRow {
    const line = this.elementLine;
    this.partial = '';
    this.elementLine = 0;
    try {
      return { line, body: jsonLineToBody(text.trim()) };
    } catch (error) {
      return { line, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}
