import type { Queryable } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';

// The webhook bodies of ABC User Feedback's server, built as its listener builds them
// (line/abc-user-feedback, apps/api/src/domains/admin/project/webhook/webhook.listener.ts): it
// loads the feedback (or issue) with its channel, project and issues right after the change, and
// posts `{ event, data }` with TypeORM's Date objects serialised by JSON. Written here again over
// iaphook's stored rows, independently of iaphook's own builders, so a contract test can compare
// what iaphook sent with what ABC would have sent from the same rows.

interface IssueEntity {
  id: number;
  createdAt: Date;
  updatedAt: Date;
  name: string;
  description: string | null;
  status: string;
  externalIssueId: string | null;
  feedbackCount: number;
}

type Ms = number | string;
const date = (ms: Ms) => new Date(Number(ms));

async function issueEntity(db: Queryable, issueId: number): Promise<IssueEntity & { projectId: number }> {
  const row = await db.get<Omit<IssueEntity, 'createdAt' | 'updatedAt'> & { createdAt: Ms; updatedAt: Ms; projectId: number }>(sql`SELECT id,
    project_id AS "projectId", name, description, status, external_issue_id AS "externalIssueId", feedback_count AS "feedbackCount",
    created_at AS "createdAt", updated_at AS "updatedAt" FROM issues WHERE id = ${issueId}`);
  if (row === undefined) throw new Error(`no issue ${issueId}`);
  return { ...row, createdAt: date(row.createdAt), updatedAt: date(row.updatedAt) };
}

async function named(db: Queryable, table: 'projects' | 'channels', id: number): Promise<{ id: number; name: string }> {
  const row = await db.get<{ id: number; name: string }>(sql`SELECT id, name FROM ${sql.raw(table)} WHERE id = ${id}`);
  if (row === undefined) throw new Error(`no row ${id} in ${table}`);
  return row;
}

/** The feedback entity with `relations: { channel: { project: true }, issues: true }`. */
async function feedbackEntity(db: Queryable, feedbackId: number) {
  const row = await db.get<{ id: number; channelId: number; data: string | null; createdAt: Ms; updatedAt: Ms }>(sql`SELECT id, channel_id AS "channelId",
    data, created_at AS "createdAt", updated_at AS "updatedAt" FROM feedbacks WHERE id = ${feedbackId}`);
  if (row === undefined) throw new Error(`no feedback ${feedbackId}`);
  if (row.data === null) throw new Error(`feedback ${feedbackId} has no stored data`);
  const channelRow = await db.get<{ projectId: number }>(sql`SELECT project_id AS "projectId" FROM channels WHERE id = ${row.channelId}`);
  const links = await db.all<{ issueId: number }>(sql`SELECT issue_id AS "issueId" FROM feedback_issues WHERE feedback_id = ${feedbackId} ORDER BY issue_id`);
  const issues: IssueEntity[] = [];
  for (const link of links) {
    const { projectId: _project, ...issue } = await issueEntity(db, link.issueId);
    issues.push(issue);
  }
  return {
    id: row.id,
    createdAt: date(row.createdAt),
    updatedAt: date(row.updatedAt),
    data: JSON.parse(row.data) as Record<string, unknown>,
    channel: { ...(await named(db, 'channels', row.channelId)), project: await named(db, 'projects', channelRow!.projectId) },
    issues,
  };
}

const wire = (event: string, data: object) => JSON.parse(JSON.stringify({ event, data })) as { event: string; data: Record<string, unknown> };

const issueOut = (issue: IssueEntity) => ({
  id: issue.id,
  createdAt: issue.createdAt,
  updatedAt: issue.updatedAt,
  name: issue.name,
  description: issue.description,
  status: issue.status,
  externalIssueId: issue.externalIssueId,
  feedbackCount: issue.feedbackCount,
});

export async function feedbackCreation(db: Queryable, feedbackId: number) {
  const feedback = await feedbackEntity(db, feedbackId);
  const data = {
    feedback: { id: feedback.id, createdAt: feedback.createdAt, updatedAt: feedback.updatedAt, ...feedback.data, issues: feedback.issues.map(issueOut) },
    channel: { id: feedback.channel.id, name: feedback.channel.name },
    project: { id: feedback.channel.project.id, name: feedback.channel.project.name },
  };
  return wire('FEEDBACK_CREATION', data);
}

export async function issueAddition(db: Queryable, feedbackId: number, issueId: number) {
  const feedback = await feedbackEntity(db, feedbackId);
  const issues = feedback.issues.map(issueOut);
  const data = {
    feedback: { id: feedback.id, createdAt: feedback.createdAt, updatedAt: feedback.updatedAt, ...feedback.data, issues },
    channel: { id: feedback.channel.id, name: feedback.channel.name },
    project: { id: feedback.channel.project.id, name: feedback.channel.project.name },
    addedIssue: issues.find((issue) => issue.id === issueId),
  };
  return wire('ISSUE_ADDITION', data);
}

export async function issueCreation(db: Queryable, issueId: number) {
  const { projectId, ...issue } = await issueEntity(db, issueId);
  return wire('ISSUE_CREATION', { issue: issueOut(issue), project: await named(db, 'projects', projectId) });
}

export async function issueStatusChange(db: Queryable, issueId: number, previousStatus: string) {
  const { projectId, ...issue } = await issueEntity(db, issueId);
  return wire('ISSUE_STATUS_CHANGE', { issue: issueOut(issue), project: await named(db, 'projects', projectId), previousStatus });
}
