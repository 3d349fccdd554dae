import type { Queryable, Tx } from '../storage/port';
import { sql } from '../storage/sql';
import { parseStoredFields, type ChannelField } from './fields';

export interface ProjectRow {
  id: number;
  name: string;
  recordRefunds: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ChannelRow {
  id: number;
  projectId: number;
  name: string;
  fields: ChannelField[];
  createdAt: number;
  updatedAt: number;
}

/** Every column of a projects row. record_refunds is a boolean: 0/1 on SQLite, so toProject normalises it. */
const PROJECT_COLUMNS = sql.raw(`id, name, record_refunds AS "recordRefunds", created_at AS "createdAt", updated_at AS "updatedAt"`);

/** Every column of a channels row, named as ChannelRow names them. */
const CHANNEL_COLUMNS = sql.raw(`id, project_id AS "projectId", name, fields, created_at AS "createdAt", updated_at AS "updatedAt"`);

type StoredChannel = Omit<ChannelRow, 'fields'> & { fields: string };

const toChannel = (row: StoredChannel): ChannelRow => ({ ...row, fields: parseStoredFields(row.fields) });

type StoredProject = Omit<ProjectRow, 'recordRefunds'> & { recordRefunds: boolean | number };

const toProject = (row: StoredProject): ProjectRow => ({ ...row, recordRefunds: Boolean(row.recordRefunds) });

// Names are unique (projects overall; channels and issues per project). A create or rename takes
// the lock of its name space first, so its check and its write are one step on every instance:
// two creates of one name at once answer the second with a conflict, not a unique-index error.
// Order when several are taken: defaults, then project names, then channel or issue names.

export const lockProjectNames = (tx: Tx): Promise<void> => tx.lock('feedback:project-name');

export const lockChannelNames = (tx: Tx, projectId: number): Promise<void> => tx.lock(`feedback:channel-name:${projectId}`);

export async function insertProject(tx: Tx, name: string, recordRefunds: boolean, now: number): Promise<ProjectRow> {
  const row = await tx.get<StoredProject>(sql`INSERT INTO projects (name, record_refunds, created_at, updated_at)
    VALUES (${name}, ${recordRefunds}, ${now}, ${now})
    RETURNING ${PROJECT_COLUMNS}`);
  if (row === undefined) throw new Error('insertProject: the insert returned no row');
  return toProject(row);
}

export async function updateProject(tx: Tx, id: number, patch: { name?: string; recordRefunds?: boolean }, now: number): Promise<ProjectRow> {
  const name = patch.name === undefined ? sql.empty : sql`name = ${patch.name}, `;
  const recordRefunds = patch.recordRefunds === undefined ? sql.empty : sql`record_refunds = ${patch.recordRefunds}, `;
  const row = await tx.get<StoredProject>(sql`UPDATE projects SET ${name}${recordRefunds}updated_at = ${now} WHERE id = ${id}
    RETURNING ${PROJECT_COLUMNS}`);
  if (row === undefined) throw new Error(`updateProject: no project ${id}`);
  return toProject(row);
}

export async function findProject(db: Queryable, id: number): Promise<ProjectRow | null> {
  const row = await db.get<StoredProject>(sql`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = ${id}`);
  return row ? toProject(row) : null;
}

export async function projectByName(db: Queryable, name: string): Promise<ProjectRow | null> {
  const row = await db.get<StoredProject>(sql`SELECT ${PROJECT_COLUMNS} FROM projects WHERE name = ${name}`);
  return row ? toProject(row) : null;
}

export async function listProjects(db: Queryable): Promise<ProjectRow[]> {
  return (await db.all<StoredProject>(sql`SELECT ${PROJECT_COLUMNS} FROM projects ORDER BY id`)).map(toProject);
}

export async function projectsRecordingRefunds(db: Queryable): Promise<ProjectRow[]> {
  return (await db.all<StoredProject>(sql`SELECT ${PROJECT_COLUMNS} FROM projects WHERE record_refunds ORDER BY id`)).map(toProject);
}

export async function insertChannel(tx: Tx, projectId: number, name: string, fields: readonly ChannelField[], now: number): Promise<ChannelRow> {
  const row = await tx.get<StoredChannel>(sql`INSERT INTO channels (project_id, name, fields, created_at, updated_at)
    VALUES (${projectId}, ${name}, ${JSON.stringify(fields)}, ${now}, ${now})
    RETURNING ${CHANNEL_COLUMNS}`);
  if (row === undefined) throw new Error('insertChannel: the insert returned no row');
  return toChannel(row);
}

export async function setChannelFields(tx: Tx, id: number, fields: readonly ChannelField[], now: number): Promise<ChannelRow> {
  const row = await tx.get<StoredChannel>(sql`UPDATE channels SET fields = ${JSON.stringify(fields)}, updated_at = ${now} WHERE id = ${id}
    RETURNING ${CHANNEL_COLUMNS}`);
  if (row === undefined) throw new Error(`setChannelFields: no channel ${id}`);
  return toChannel(row);
}

/**
 * The channel of this name, created when missing (the Refunds and Default channels). The name lock
 * is only taken when it is missing, the rare case; under it the insert cannot collide with a
 * create, and does nothing if another transaction made the channel meanwhile.
 */
export async function ensureChannel(tx: Tx, projectId: number, name: string, fields: readonly ChannelField[], now: number): Promise<ChannelRow> {
  const existing = await channelByName(tx, projectId, name);
  if (existing) return existing;
  await lockChannelNames(tx, projectId);
  await tx.run(sql`INSERT INTO channels (project_id, name, fields, created_at, updated_at) VALUES (${projectId}, ${name}, ${JSON.stringify(fields)}, ${now}, ${now})
    ON CONFLICT (project_id, name) DO NOTHING`);
  const channel = await channelByName(tx, projectId, name);
  if (!channel) throw new Error(`channel "${name}" of project ${projectId} was neither created nor found`);
  return channel;
}

export async function findChannel(db: Queryable, projectId: number, id: number): Promise<ChannelRow | null> {
  const row = await db.get<StoredChannel>(sql`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE project_id = ${projectId} AND id = ${id}`);
  return row ? toChannel(row) : null;
}

export async function channelByName(db: Queryable, projectId: number, name: string): Promise<ChannelRow | null> {
  const row = await db.get<StoredChannel>(sql`SELECT ${CHANNEL_COLUMNS} FROM channels WHERE project_id = ${projectId} AND name = ${name}`);
  return row ? toChannel(row) : null;
}

export async function listChannels(db: Queryable): Promise<ChannelRow[]> {
  return (await db.all<StoredChannel>(sql`SELECT ${CHANNEL_COLUMNS} FROM channels ORDER BY id`)).map(toChannel);
}

export async function readMeta(db: Queryable, key: string): Promise<string | null> {
  return (await db.get<{ value: string }>(sql`SELECT value FROM meta WHERE key = ${key}`))?.value ?? null;
}

export async function writeMeta(tx: Tx, key: string, value: string, now: number): Promise<void> {
  await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES (${key}, ${value}, ${now})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
}
