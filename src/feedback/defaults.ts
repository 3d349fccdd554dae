import type { Tx } from '../storage/port';
import { LEGACY_FIELDS } from './fields';
import { ensureRefundsChannel } from './refunds';
import { ensureChannel, findProject, insertProject, lockProjectNames, projectByName, readMeta, writeMeta } from './repository';

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
 * Remembered in meta, so renaming them later does not create new ones on the next start. Run it in
 * its own write at start-up: `await storage.write((tx) => ensureDefaults(tx, now, options))`.
 *
 * Safe when several instances start at once on one database: the first lock makes them run it one
 * after the other, so the second finds what the first created (free on SQLite, one writer anyway).
 */
export async function ensureDefaults(tx: Tx, now: number, options: { recordRefunds: boolean }): Promise<FeedbackDefaults> {
  await tx.lock('feedback:defaults');
  const remembered = await readMeta(tx, META_KEY);
  let project = remembered === null ? null : await findProject(tx, Number(remembered));
  if (project === null) {
    // A project created through the API may take the name meanwhile: the same lock as its create.
    await lockProjectNames(tx);
    project = (await projectByName(tx, DEFAULT_NAME)) ?? (await insertProject(tx, DEFAULT_NAME, options.recordRefunds, now));
  }
  if (remembered !== String(project.id)) await writeMeta(tx, META_KEY, String(project.id), now);
  const channel = await ensureChannel(tx, project.id, DEFAULT_NAME, LEGACY_FIELDS, now);
  const refunds = project.recordRefunds ? await ensureRefundsChannel(tx, project.id, now) : null;
  return { projectId: project.id, channelId: channel.id, refundsChannelId: refunds?.id ?? null };
}
