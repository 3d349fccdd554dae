import type { FeedbackSnapshot, IssueSnapshot, IssueStatus } from '../outbound';
import type { ChannelField } from './fields';
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

/**
 * The stored field values of a feedback (ABC's feedback.data). A row from before channel fields
 * has no data: its values are the message, the userEmail when there was one, and the extra fields.
 */
export function feedbackValues(row: FeedbackRow): Record<string, unknown> {
  if (row.data !== null) return JSON.parse(row.data) as Record<string, unknown>;
  return {
    message: row.message,
    ...(row.userEmail === null ? {} : { userEmail: row.userEmail }),
    ...(row.fields === null ? {} : (JSON.parse(row.fields) as Record<string, unknown>)),
  };
}

export function feedbackSnapshot(row: FeedbackRow, issues: IssueRow[]): FeedbackSnapshot {
  return { id: row.id, createdAt: row.createdAt, updatedAt: row.updatedAt, values: feedbackValues(row), issues: issues.map(issueSnapshot) };
}

/** The admin API's view of an issue. */
export function issueApiView(row: IssueRow) {
  return { ...issueSnapshot(row), projectId: row.projectId, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

/**
 * The admin API's view of a feedback: every field the channel declares (null when the feedback has
 * no value for it, as userEmail always was) and every stored value. The API's own keys come last,
 * so no stored value can stand in for them.
 */
export function feedbackApiView(row: FeedbackRow, issues: IssueRow[], fields: readonly ChannelField[]) {
  const declared = Object.fromEntries(fields.map((f) => [f.key, null]));
  return {
    ...declared,
    ...feedbackValues(row),
    id: row.id,
    projectId: row.projectId,
    channelId: row.channelId,
    issues: issues.map(issueApiView),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
