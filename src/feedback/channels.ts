import { AppError } from '../shared/errors';
import type { Tx } from '../storage/port';
import { requireChannel, requireProject } from './changes';
import { LEGACY_FIELDS, type ChannelField } from './fields';
import { channelByName, insertChannel, lockChannelNames, setChannelFields, type ChannelRow } from './repository';

// Channels and the fields they declare. Changing a channel's fields changes what its next feedback
// may carry; stored feedback keeps its values and is sent with them, as in ABC.

const iso = (ms: number) => new Date(ms).toISOString();

export const channelView = (c: ChannelRow) => ({
  id: c.id,
  projectId: c.projectId,
  name: c.name,
  fields: c.fields,
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});

/** A channel created without fields has message and userEmail, as every channel had before fields. */
export async function createChannel(tx: Tx, projectId: number, input: { name: string; fields?: ChannelField[] }, now: number) {
  await requireProject(tx, projectId);
  await lockChannelNames(tx, projectId);
  if (await channelByName(tx, projectId, input.name)) throw new AppError('conflict', `a channel named "${input.name}" already exists in project ${projectId}`);
  return channelView(await insertChannel(tx, projectId, input.name, input.fields ?? LEGACY_FIELDS, now));
}

/** Replaces the channel's field list (ABC replaces a channel's fields as a whole too). */
export async function replaceChannelFields(tx: Tx, projectId: number, channelId: number, fields: ChannelField[], now: number) {
  const { channel } = await requireChannel(tx, projectId, channelId);
  return channelView(await setChannelFields(tx, channel.id, fields, now));
}
