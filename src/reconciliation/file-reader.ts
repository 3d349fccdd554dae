import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { csvRecordToBody, jsonLineToBody } from './rows';

export type FileFormat = 'csv' | 'jsonl';

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
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return null;
}

export interface ReadOptions {
  /** Called with the size of every chunk read from disk: drives the progress bar. */
  onBytes?(bytes: number): void;
}

/**
 * Streams the rows of a CSV or JSON-lines file. Only a chunk and one parsed row are in memory at a
 * time, and the caller's `for await` is the backpressure: the file is read as fast as rows are used.
 */
export function readRows(file: string, format: FileFormat, options: ReadOptions = {}): AsyncGenerator<FileRow> {
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  if (options.onBytes) stream.on('data', (chunk) => options.onBytes?.(chunk.length));
  return format === 'csv' ? csvRows(stream) : jsonlRows(stream);
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
