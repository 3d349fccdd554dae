import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export const CATEGORIES = ['missing', 'extra', 'mismatched', 'invalid'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface LogOptions {
  /** Items kept in memory per category for the printed summary. */
  sampleLimit: number;
  /** Where every item is appended (one JSON line each) for the full JSON report; null keeps samples only. */
  spoolDir: string | null;
}

const FLUSH_AT = 64 * 1024;

/**
 * Discrepancies with exact counts, a few samples in memory and, when a full report is wanted, every
 * item spooled to disk: 100,000 missing rows cost a file, not 100,000 objects held until the end.
 */
export class DiscrepancyLog {
  private readonly counts = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  private readonly sampled = new Map<Category, unknown[]>(CATEGORIES.map((c) => [c, []]));
  private readonly buffers = new Map<Category, string>(CATEGORIES.map((c) => [c, '']));

  constructor(private readonly options: LogOptions) {}

  add(category: Category, item: unknown): void {
    this.counts.set(category, this.count(category) + 1);
    const samples = this.sampled.get(category)!;
    if (samples.length < this.options.sampleLimit) samples.push(item);
    if (this.options.spoolDir === null) return;
    const buffered = `${this.buffers.get(category)!}${JSON.stringify(item)}\n`;
    this.buffers.set(category, buffered);
    if (buffered.length >= FLUSH_AT) this.flush(category);
  }

  count(category: Category): number {
    return this.counts.get(category)!;
  }

  samples<T>(category: Category): T[] {
    return this.sampled.get(category)! as T[];
  }

  /** Writes `{ "summary": …, "missing": [...], "extra": [...], … }`, streaming each spooled list. */
  async writeJson(out: string, summary: unknown): Promise<void> {
    if (this.options.spoolDir === null) throw new Error('the discrepancy log was opened without a spool folder');
    for (const category of CATEGORIES) this.flush(category);
    const fd = fs.openSync(out, 'w');
    try {
      fs.writeSync(fd, `{\n"summary": ${JSON.stringify(summary, null, 2)}`);
      for (const category of CATEGORIES) {
        fs.writeSync(fd, `,\n${JSON.stringify(category)}: [`);
        let first = true;
        const file = this.spoolFile(category);
        if (fs.existsSync(file)) {
          for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
            if (line === '') continue;
            fs.writeSync(fd, `${first ? '\n' : ',\n'}${line}`);
            first = false;
          }
        }
        fs.writeSync(fd, first ? ']' : '\n]');
      }
      fs.writeSync(fd, '\n}\n');
    } finally {
      fs.closeSync(fd);
    }
  }

  private spoolFile(category: Category): string {
    return path.join(this.options.spoolDir ?? '', `${category}.jsonl`);
  }

  private flush(category: Category): void {
    const buffered = this.buffers.get(category)!;
    if (buffered === '' || this.options.spoolDir === null) return;
    fs.appendFileSync(this.spoolFile(category), buffered);
    this.buffers.set(category, '');
  }
}
