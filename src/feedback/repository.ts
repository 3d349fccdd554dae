import { and, asc, eq } from 'drizzle-orm';
import { channels, meta, projects } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';

export type ProjectRow = typeof projects.$inferSelect;
export type ChannelRow = typeof channels.$inferSelect;

export function insertProject(db: Db, name: string, recordRefunds: boolean, now: number): ProjectRow {
  return db.insert(projects).values({ name, recordRefunds, createdAt: now, updatedAt: now }).returning().get();
}

export function updateProject(db: Db, id: number, patch: { name?: string; recordRefunds?: boolean }, now: number): ProjectRow {
  return db
    .update(projects)
    .set({ ...patch, updatedAt: now })
    .where(eq(projects.id, id))
    .returning()
    .get();
}

export function findProject(db: Db, id: number): ProjectRow | null {
  return db.select().from(projects).where(eq(projects.id, id)).get() ?? null;
}

export function projectByName(db: Db, name: string): ProjectRow | null {
  return db.select().from(projects).where(eq(projects.name, name)).get() ?? null;
}

export function listProjects(db: Db): ProjectRow[] {
  return db.select().from(projects).orderBy(asc(projects.id)).all();
}

export function projectsRecordingRefunds(db: Db): ProjectRow[] {
  return db.select().from(projects).where(eq(projects.recordRefunds, true)).orderBy(asc(projects.id)).all();
}

export function insertChannel(db: Db, projectId: number, name: string, now: number): ChannelRow {
  return db.insert(channels).values({ projectId, name, createdAt: now, updatedAt: now }).returning().get();
}

export function findChannel(db: Db, projectId: number, id: number): ChannelRow | null {
  return (
    db
      .select()
      .from(channels)
      .where(and(eq(channels.projectId, projectId), eq(channels.id, id)))
      .get() ?? null
  );
}

export function channelByName(db: Db, projectId: number, name: string): ChannelRow | null {
  return (
    db
      .select()
      .from(channels)
      .where(and(eq(channels.projectId, projectId), eq(channels.name, name)))
      .get() ?? null
  );
}

export function listChannels(db: Db): ChannelRow[] {
  return db.select().from(channels).orderBy(asc(channels.id)).all();
}

export function readMeta(db: Db, key: string): string | null {
  return db.select({ value: meta.value }).from(meta).where(eq(meta.key, key)).get()?.value ?? null;
}

export function writeMeta(db: Db, key: string, value: string, now: number): void {
  db.insert(meta)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: meta.key, set: { value, updatedAt: now } })
    .run();
}
