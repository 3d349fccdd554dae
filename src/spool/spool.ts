import nodeFs from 'node:fs';
import path from 'node:path';
import { decodeSegment, encodeEntry, type SpoolEntry } from './format';

/** The file operations the spool uses; tests pass failing ones (full disk, read-only, I/O error). */
export type SpoolFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'fdatasyncSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'ftruncateSync'
  | 'readdirSync'
  | 'readFileSync'
  | 'unlinkSync'
  | 'renameSync'
  | 'mkdirSync'
>;

export interface SpoolOptions {
  fs?: SpoolFs;
  /** For segment names; tests pin it. */
  now?: () => number;
}

export interface AppendOptions {
  /**
   * Sync the line to the disk before returning (the default). Without, it is only written: a
   * process killed or crashed right after cannot undo that (the kernel has it), a machine crash
   * can, until the segment is synced, by the next synced append or when the segment is closed.
   */
  sync?: boolean;
}

export interface Segment {
  name: string;
  entries: SpoolEntry[];
  /** Lines that were not complete entries: a torn last write, never acknowledged. */
  bad: number;
}

const SUFFIX = '.ndjson';

/**
 * The spool: where an accepted request goes when the database cannot take it in time. An append
 * is one line written and fdatasync-ed before the caller answers, so a spooled request survives a
 * crash like a committed one. (A rejected request's record may skip the sync: it was never
 * acknowledged, and its answer must not wait on a busy disk.) Appends go to the current segment
 * file; take() closes it, so the drainer only reads segments nobody writes to any more, and
 * removes each once ingested. Everything here is synchronous: an append is one small write and
 * one sync, and it must be on disk before the answer anyway.
 */
export class Spool {
  private readonly fs: SpoolFs;
  private readonly now: () => number;
  private fd: number | null = null;
  private size = 0;
  private sequence = 0;
  /** Whether the current segment's directory entry is synced (else a machine crash could lose the file). */
  private dirSynced = false;
  /** Lines of the current segment written without a sync since the last one. */
  private unsynced = false;

  constructor(
    readonly dir: string,
    options: SpoolOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? Date.now;
  }

  /** Appends and syncs one entry (see AppendOptions); throws when it is not safely written (and leaves no partial line). */
  append(entry: SpoolEntry, options: AppendOptions = {}): void {
    const line = Buffer.from(encodeEntry(entry));
    const fd = this.fd ?? this.openSegment();
    try {
      let written = 0;
      while (written < line.length) written += this.fs.writeSync(fd, line, written, line.length - written);
      if (options.sync ?? true) this.sync(fd);
      else this.unsynced = true;
      this.size += line.length;
    } catch (error) {
      // Cut the partial line so the next append does not glue onto it, and start a new segment:
      // after a failed sync the state of this file's pages is unknown.
      try {
        this.fs.ftruncateSync(fd, this.size);
      } catch {
        // the decoder skips a torn line anyway
      }
      this.closeSegment();
      throw error;
    }
  }

  /** Closes the current segment and returns every closed segment, oldest first, read and decoded. */
  take(): Segment[] {
    this.closeSegment();
    let names: string[];
    try {
      names = this.fs.readdirSync(this.dir).filter((n) => n.endsWith(SUFFIX));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.sort().map((name) => ({ name, ...decodeSegment(this.fs.readFileSync(path.join(this.dir, name), 'utf8')) }));
  }

  /** A segment fully ingested goes; one with unreadable lines is kept aside for a human to look at. */
  finish(segment: Segment): void {
    const file = path.join(this.dir, segment.name);
    if (segment.bad > 0) this.fs.renameSync(file, `${file}.bad`);
    else this.fs.unlinkSync(file);
    this.syncDir();
  }

  close(): void {
    this.closeSegment();
  }

  private openSegment(): number {
    this.fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sequence += 1;
    const name = `${String(this.now()).padStart(15, '0')}-${process.pid}-${String(this.sequence).padStart(6, '0')}${SUFFIX}`;
    const fd = this.fs.openSync(path.join(this.dir, name), 'a', 0o600);
    this.fd = fd;
    this.size = 0;
    this.dirSynced = false;
    this.unsynced = false;
    return fd;
  }

  private sync(fd: number): void {
    // The new file's directory entry must survive a crash too, or its synced lines are lost with it.
    if (!this.dirSynced) this.syncDir();
    this.dirSynced = true;
    this.fs.fdatasyncSync(fd);
    this.unsynced = false;
  }

  private closeSegment(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    if (this.unsynced) {
      try {
        this.sync(fd);
      } catch {
        // its lines are written all the same; the drainer reads them back now
      }
    }
    try {
      this.fs.closeSync(fd);
    } catch {
      // nothing left to do with it
    }
  }

  private syncDir(): void {
    const fd = this.fs.openSync(this.dir, 'r');
    try {
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }
}
