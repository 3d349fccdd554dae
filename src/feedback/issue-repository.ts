import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { feedbackIssues, feedbacks, issues } from '../storage/sqlite/schema';
import type { IssueStatus } from '../outbound';
import type { Db } from '../storage/sqlite/database';

export type IssueRow = typeof issues.$inferSelect;
export type FeedbackRow = typeof feedbacks.$inferSelect;

export interface NewIssue {
  projectId: number;
  name: string;
  description: string | null;
  externalIssueId: string | null;
}

export function insertIssue(db: Db, issue: NewIssue, now: number): IssueRow {
  return db
    .insert(issues)
    .values({ ...issue, status: 'INIT', createdAt: now, updatedAt: now })
    .returning()
    .get();
}

export interface IssuePatch {
  name?: string;
  status?: IssueStatus;
  description?: string | null;
  externalIssueId?: string | null;
}

export function updateIssue(db: Db, id: number, patch: IssuePatch, now: number): IssueRow {
  return db
    .update(issues)
    .set({ ...patch, updatedAt: now })
    .where(eq(issues.id, id))
    .returning()
    .get();
}

export function findIssue(db: Db, projectId: number, id: number): IssueRow | null {
  return (
    db
      .select()
      .from(issues)
      .where(and(eq(issues.projectId, projectId), eq(issues.id, id)))
      .get() ?? null
  );
}

export function issueByName(db: Db, projectId: number, name: string): IssueRow | null {
  return (
    db
      .select()
      .from(issues)
      .where(and(eq(issues.projectId, projectId), eq(issues.name, name)))
      .get() ?? null
  );
}

export function issuesByIds(db: Db, projectId: number, ids: number[]): IssueRow[] {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(issues)
    .where(and(eq(issues.projectId, projectId), inArray(issues.id, ids)))
    .all();
}

export function listIssues(db: Db, projectId: number): IssueRow[] {
  return db.select().from(issues).where(eq(issues.projectId, projectId)).orderBy(asc(issues.id)).all();
}

/** Links an issue to a feedback and counts it; false when they were linked already. */
export function linkIssue(db: Db, feedbackId: number, issueId: number, now: number): boolean {
  const inserted = db.insert(feedbackIssues).values({ feedbackId, issueId, createdAt: now }).onConflictDoNothing().run();
  if (inserted.changes === 0) return false;
  db.update(issues)
    .set({ feedbackCount: sql`${issues.feedbackCount} + 1` })
    .where(eq(issues.id, issueId))
    .run();
  return true;
}

/** The issues of a feedback, in the order they were linked. */
export function issuesOfFeedback(db: Db, feedbackId: number): IssueRow[] {
  return db
    .select({ issue: issues })
    .from(feedbackIssues)
    .innerJoin(issues, eq(issues.id, feedbackIssues.issueId))
    .where(eq(feedbackIssues.feedbackId, feedbackId))
    .orderBy(asc(feedbackIssues.createdAt), asc(issues.id))
    .all()
    .map((r) => r.issue);
}

export interface NewFeedback {
  projectId: number;
  channelId: number;
  message: string;
  userEmail: string | null;
  fields: Record<string, unknown> | null;
  sourceKey: string | null;
}

export function insertFeedback(db: Db, feedback: NewFeedback, now: number): FeedbackRow {
  return db
    .insert(feedbacks)
    .values({ ...feedback, fields: feedback.fields === null ? null : JSON.stringify(feedback.fields), createdAt: now, updatedAt: now })
    .returning()
    .get();
}

export function findFeedback(db: Db, channelId: number, id: number): FeedbackRow | null {
  return (
    db
      .select()
      .from(feedbacks)
      .where(and(eq(feedbacks.channelId, channelId), eq(feedbacks.id, id)))
      .get() ?? null
  );
}

export function feedbackBySource(db: Db, sourceKey: string): FeedbackRow | null {
  return db.select().from(feedbacks).where(eq(feedbacks.sourceKey, sourceKey)).get() ?? null;
}
