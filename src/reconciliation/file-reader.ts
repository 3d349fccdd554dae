import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import { JsonArraySplitter } from './json-array';
import { csvRecordToBody, jsonLineToBody } from './rows';

/** jsonl: one webhook body per line; json: one JSON array of webhook bodies. */
export type FileFormat = 'csv' | 'jsonl' | 'json';

/** One row of the file: the body it stands for, or why it could not be read. */
export interface FileRow {
  /** 1-based line number in the file (the record's last line for multi-line CSV cells). */
  line: number;
  body?: unknown;
  error?: string;
}

export function detectFormat(file: string): FileFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  // A .json file is either: an export is often one array, a log of bodies one per line.
  if (ext === '.json') return startsAnArray(file) ? 'json' : 'jsonl';
  return null;
}

/** Whether the file's first character after white space (and a BOM) is [: a JSON array, not JSON lines. */
export function startsAnArray(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const buffer = Buffer.alloc(4096);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return false;
      const first = buffer
        .subarray(0, n)
        .toString('utf8')
        .replace(/^[\s\uFEFF]+/, '');
      if (first !== '') return first.startsWith('[');
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface ReadOptions {
  /** Called with the size of every chunk read from disk: drives the progress bar. */
  onBytes?(bytes: number): void;
}

/**
 * Streams the rows of a CSV, JSON-lines or JSON-array file. Only a chunk and one parsed row are in memory at a
 * time, and the caller's `for await` is the backpressure: the file is read as fast as rows are used.
 */
export function readRows(file: string, format: FileFormat, options: ReadOptions = {}): AsyncGenerator<FileRow> {
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  if (options.onBytes) stream.on('data', (chunk) => options.onBytes?.(chunk.length));
  if (format === 'csv') return csvRows(stream);
  // Whatever the flag said: a file that starts with [ is read as one array (a line-by-line read would
  // make every line of it unreadable).
  return format === 'json' || startsAnArray(file) ? arrayRows(stream) : jsonlRows(stream);
}

async function* arrayRows(stream: fs.ReadStream): AsyncGenerator<FileRow> {
  const decoder = new StringDecoder('utf8');
  const splitter = new JsonArraySplitter();
  for await (const chunk of stream as AsyncIterable<Buffer>) yield* splitter.push(decoder.write(chunk));
  yield* splitter.push(decoder.end());
  yield* splitter.end();
}

async function* csvRows(stream: fs.ReadStream): AsyncGenerator<FileRow> {
  const parser = stream.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      skip_empty_lines: true,
      // A short or long row becomes a row with missing or extra fields, which validation names,
      // instead of an error that stops the whole run.
      relax_column_count: true,
      info: true,
    }),
  );
  stream.on('error', (error) => parser.destroy(error));
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: item.info.lines, body: csvRecordToBody(item.record) };
  }
}

async function* jsonlRows(stream: fs.ReadStream): AsyncGenerator<FileRow> {
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    // A BOM on the first line would make it invalid JSON.
    const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (trimmed === '') continue;
    try {
      yield { line, body: jsonLineToBody(trimmed) };
    } catch (error) {
      yield { line, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}
