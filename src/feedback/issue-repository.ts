import type { IssueStatus } from '../outbound';
import type { Queryable, Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';

export interface IssueRow {
  id: number;
  projectId: number;
  name: string;
  description: string | null;
  status: string;
  externalIssueId: string | null;
  feedbackCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface FeedbackRow {
  id: number;
  projectId: number;
  channelId: number;
  message: string;
  userEmail: string | null;
  /** JSON object text, or null: extra values of a row from before channel fields. */
  fields: string | null;
  /** JSON object text of every field value; null on a row from before channel fields. */
  data: string | null;
  sourceKey: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Every column of an issues row, named as IssueRow names them. */
const ISSUE_COLUMNS = sql.raw(`id, project_id AS "projectId", name, description, status, external_issue_id AS "externalIssueId",
  feedback_count AS "feedbackCount", created_at AS "createdAt", updated_at AS "updatedAt"`);

/** Every column of a feedbacks row, named as FeedbackRow names them. */
const FEEDBACK_COLUMNS = sql.raw(`id, project_id AS "projectId", channel_id AS "channelId", message, user_email AS "userEmail", fields,
  data, source_key AS "sourceKey", created_at AS "createdAt", updated_at AS "updatedAt"`);

/** Serialises creates and renames of a project's issues (see the note in repository.ts). */
export const lockIssueNames = (tx: Tx, projectId: number): Promise<void> => tx.lock(`feedback:issue-name:${projectId}`);

export interface NewIssue {
  projectId: number;
  name: string;
  description: string | null;
  externalIssueId: string | null;
}

export async function insertIssue(tx: Tx, issue: NewIssue, now: number): Promise<IssueRow> {
  const row = await tx.get<IssueRow>(sql`INSERT INTO issues (project_id, name, description, status, external_issue_id, created_at, updated_at)
    VALUES (${issue.projectId}, ${issue.name}, ${issue.description}, 'INIT', ${issue.externalIssueId}, ${now}, ${now})
    RETURNING ${ISSUE_COLUMNS}`);
  if (row === undefined) throw new Error('insertIssue: the insert returned no row');
  return row;
}

export interface IssuePatch {
  name?: string;
  status?: IssueStatus;
  description?: string | null;
  externalIssueId?: string | null;
}

/** Sets the fields present in the patch (undefined leaves a field as it is, null clears it). */
export async function updateIssue(tx: Tx, id: number, patch: IssuePatch, now: number): Promise<IssueRow> {
  const set = [
    patch.name === undefined ? undefined : sql`name = ${patch.name}`,
    patch.status === undefined ? undefined : sql`status = ${patch.status}`,
    patch.description === undefined ? undefined : sql`description = ${patch.description}`,
    patch.externalIssueId === undefined ? undefined : sql`external_issue_id = ${patch.externalIssueId}`,
    sql`updated_at = ${now}`,
  ].filter((part) => part !== undefined);
  const row = await tx.get<IssueRow>(sql`UPDATE issues SET ${sql.join(set)} WHERE id = ${id} RETURNING ${ISSUE_COLUMNS}`);
  if (row === undefined) throw new Error(`updateIssue: no issue ${id}`);
  return row;
}

export async function findIssue(db: Queryable, projectId: number, id: number): Promise<IssueRow | null> {
  return (await db.get<IssueRow>(sql`SELECT ${ISSUE_COLUMNS} FROM issues WHERE project_id = ${projectId} AND id = ${id}`)) ?? null;
}

export async function issueByName(db: Queryable, projectId: number, name: string): Promise<IssueRow | null> {
  return (await db.get<IssueRow>(sql`SELECT ${ISSUE_COLUMNS} FROM issues WHERE project_id = ${projectId} AND name = ${name}`)) ?? null;
}

/** The issues of the project among these ids (at most 50: the API's limit), by id. */
export async function issuesByIds(db: Queryable, projectId: number, ids: number[]): Promise<IssueRow[]> {
  if (ids.length === 0) return [];
  return db.all<IssueRow>(sql`SELECT ${ISSUE_COLUMNS} FROM issues WHERE project_id = ${projectId} AND ${fn.inList(sql`id`, ids)} ORDER BY id`);
}

export async function listIssues(db: Queryable, projectId: number): Promise<IssueRow[]> {
  return db.all<IssueRow>(sql`SELECT ${ISSUE_COLUMNS} FROM issues WHERE project_id = ${projectId} ORDER BY id`);
}

/**
 * Links an issue to a feedback and counts it, moving the issue's updatedAt to now as ABC does (its
 * feedbackCount changed); false when they were linked already.
 */
export async function linkIssue(tx: Tx, feedbackId: number, issueId: number, now: number): Promise<boolean> {
  const inserted = await tx.run(sql`INSERT INTO feedback_issues (feedback_id, issue_id, created_at) VALUES (${feedbackId}, ${issueId}, ${now})
    ON CONFLICT (feedback_id, issue_id) DO NOTHING`);
  if (inserted === 0) return false;
  await tx.run(sql`UPDATE issues SET feedback_count = feedback_count + 1, updated_at = ${now} WHERE id = ${issueId}`);
  return true;
}

/** The issues of a feedback, in the order they were linked. */
export async function issuesOfFeedback(db: Queryable, feedbackId: number): Promise<IssueRow[]> {
  // The link's columns are renamed in a derived table, so the issue's own (created_at) stay unambiguous.
  return db.all<IssueRow>(sql`SELECT ${ISSUE_COLUMNS} FROM issues
    JOIN (SELECT issue_id AS linked_issue_id, created_at AS linked_at FROM feedback_issues WHERE feedback_id = ${feedbackId}) AS l
      ON l.linked_issue_id = issues.id
    ORDER BY l.linked_at, issues.id`);
}

export interface NewFeedback {
  projectId: number;
  channelId: number;
  /** Every field value (checked against the channel's fields, or written by iaphook itself). */
  values: Record<string, unknown>;
  sourceKey: string | null;
}

export async function insertFeedback(tx: Tx, feedback: NewFeedback, now: number): Promise<FeedbackRow> {
  // data holds the values; message and user_email keep copies for whoever reads the table.
  const { message, userEmail } = feedback.values;
  const row = await tx.get<FeedbackRow>(sql`INSERT INTO feedbacks (project_id, channel_id, message, user_email, data, source_key, created_at, updated_at)
    VALUES (${feedback.projectId}, ${feedback.channelId}, ${typeof message === 'string' ? message : ''}, ${typeof userEmail === 'string' ? userEmail : null},
      ${JSON.stringify(feedback.values)}, ${feedback.sourceKey}, ${now}, ${now})
    RETURNING ${FEEDBACK_COLUMNS}`);
  if (row === undefined) throw new Error('insertFeedback: the insert returned no row');
  return row;
}

/** A feedback changed (an issue was added): its updatedAt moves to now, as in ABC. */
export async function touchFeedback(tx: Tx, id: number, now: number): Promise<FeedbackRow> {
  const row = await tx.get<FeedbackRow>(sql`UPDATE feedbacks SET updated_at = ${now} WHERE id = ${id} RETURNING ${FEEDBACK_COLUMNS}`);
  if (row === undefined) throw new Error(`touchFeedback: no feedback ${id}`);
  return row;
}

export async function findFeedback(db: Queryable, channelId: number, id: number): Promise<FeedbackRow | null> {
  return (await db.get<FeedbackRow>(sql`SELECT ${FEEDBACK_COLUMNS} FROM feedbacks WHERE channel_id = ${channelId} AND id = ${id}`)) ?? null;
}

export async function feedbackBySource(db: Queryable, sourceKey: string): Promise<FeedbackRow | null> {
  return (await db.get<FeedbackRow>(sql`SELECT ${FEEDBACK_COLUMNS} FROM feedbacks WHERE source_key = ${sourceKey}`)) ?? null;
}
