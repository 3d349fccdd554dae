import type { FeedbackSnapshot, IssueSnapshot, IssueStatus } from '../outbound';
import type { FeedbackRow, IssueRow } from './issue-repository';

const iso = (ms: number) => new Date(ms).toISOString();

export function issueSnapshot(row: IssueRow): IssueSnapshot {
  return {
    id: row.id,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    name: row.name,
    description: row.description,
    status: row.status as IssueStatus,
    externalIssueId: row.externalIssueId,
    feedbackCount: row.feedbackCount,
  };
}

export function feedbackSnapshot(row: FeedbackRow, issues: IssueRow[]): FeedbackSnapshot {
  return {
    id: row.id,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    message: row.message,
    userEmail: row.userEmail,
    fields: row.fields === null ? {} : (JSON.parse(row.fields) as Record<string, unknown>),
    issues: issues.map(issueSnapshot),
  };
}

/** The admin API's view of an issue. */
export function issueApiView(row: IssueRow) {
  return { ...issueSnapshot(row), projectId: row.projectId, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

/** The admin API's view of a feedback. */
export function feedbackApiView(row: FeedbackRow, issues: IssueRow[]) {
  const snapshot = feedbackSnapshot(row, issues);
  return {
    ...snapshot.fields,
    id: row.id,
    projectId: row.projectId,
    channelId: row.channelId,
    message: row.message,
    userEmail: row.userEmail,
    issues: issues.map(issueApiView),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
