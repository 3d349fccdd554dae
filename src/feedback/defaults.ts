import type { Db } from '../storage/sqlite/database';
import { ensureRefundsChannel } from './refunds';
import { channelByName, findProject, insertChannel, insertProject, projectByName, readMeta, writeMeta } from './repository';

const DEFAULT_NAME = 'Default';
const META_KEY = 'feedback.defaultProjectId';

export interface FeedbackDefaults {
  projectId: number;
  channelId: number;
  /** The channel refunds are recorded in, when the default project records them. */
  refundsChannelId: number | null;
}

/**
 * The default project and channel, created on the first start so the quick start needs no set-up.
 * Remembered in meta, so renaming them later does not create new ones on the next start.
 */
export function ensureDefaults(db: Db, now: number, options: { recordRefunds: boolean }): FeedbackDefaults {
  const remembered = readMeta(db, META_KEY);
  let project = remembered === null ? null : findProject(db, Number(remembered));
  project ??= projectByName(db, DEFAULT_NAME) ?? insertProject(db, DEFAULT_NAME, options.recordRefunds, now);
  if (remembered !== String(project.id)) writeMeta(db, META_KEY, String(project.id), now);
  const channel = channelByName(db, project.id, DEFAULT_NAME) ?? insertChannel(db, project.id, DEFAULT_NAME, now);
  const refunds = project.recordRefunds ? ensureRefundsChannel(db, project.id, now) : null;
  return { projectId: project.id, channelId: channel.id, refundsChannelId: refunds?.id ?? null };
}

const BUSY_PAUSE_MS = 10;

/**
 * Creates the defaults during start-up, synchronously but through the committer (drain commits
 * at once), so the ids can be logged before the server listens. When the transaction could not
 * even begin (another process, a CLI, holds the write lock) it is tried again for up to
 * busyWaitMs; blocking is fine here, nothing is served yet. An error inside fails at once.
 */
export function ensureDefaultsNow(
  committer: { run<T>(work: (db: Db) => T): Promise<T>; drain(): void },
  now: number,
  options: { recordRefunds: boolean; busyWaitMs?: number },
): FeedbackDefaults {
  const attempts = 1 + Math.ceil((options.busyWaitMs ?? 2000) / BUSY_PAUSE_MS);
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    // A box, not a local: TypeScript does not see assignments made inside the closure.
    const box: { outcome: { ok: true; defaults: FeedbackDefaults } | { ok: false; error: unknown } | null } = { outcome: null };
    committer
      .run((db) => {
        try {
          box.outcome = { ok: true, defaults: ensureDefaults(db, now, options) };
        } catch (error) {
          box.outcome = { ok: false, error };
          throw error;
        }
      })
      .catch(() => undefined); // reported synchronously through the box, or retried below
    committer.drain();
    if (box.outcome?.ok === true) return box.outcome.defaults;
    if (box.outcome?.ok === false) throw new Error('could not create the default feedback project', { cause: box.outcome.error });
    // The closure never ran: the batch failed before it (BEGIN busy). Wait and try again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BUSY_PAUSE_MS);
  }
  throw new Error(`could not create the default feedback project: the database stayed locked for ${options.busyWaitMs ?? 2000} ms`);
}
