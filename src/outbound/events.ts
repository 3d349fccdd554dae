import type { Envelope, IssueStatus } from './types';

// Builders of ABC User Feedback's event payloads as its server's webhook listener builds them
// (line/abc-user-feedback, apps/api/src/domains/admin/project/webhook/webhook.listener.ts; examples
// in test/fixtures/abc/as-sent/): the field names and nesting are ABC's, so a subscriber written
// against ABC reads ours unchanged. Times are ISO strings, ids are integers, as in ABC. Pure: the
// caller snapshots rows inside its transaction.

export interface ProjectRef {
  id: number;
  name: string;
}

export type ChannelRef = ProjectRef;

export interface IssueSnapshot {
  id: number;
  createdAt: number;
  updatedAt: number;
  name: string;
  description: string | null;
  status: IssueStatus;
  externalIssueId: string | null;
  feedbackCount: number;
}

export interface FeedbackSnapshot {
  id: number;
  createdAt: number;
  updatedAt: number;
  /** Every stored field value of the feedback (ABC's feedback.data): message, userEmail, custom fields. */
  values: Record<string, unknown>;
  issues: IssueSnapshot[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function issueView(issue: IssueSnapshot) {
  return {
    id: issue.id,
    createdAt: iso(issue.createdAt),
    updatedAt: iso(issue.updatedAt),
    name: issue.name,
    description: issue.description,
    status: issue.status,
    externalIssueId: issue.externalIssueId,
    feedbackCount: issue.feedbackCount,
  };
}

/** Keys the payload sets itself; a stored value under one of them could only forge it, so it is dropped. */
const OWN_KEYS = new Set(['id', 'createdAt', 'updatedAt', 'issues']);

/** `{ id, createdAt, updatedAt, ...values, issues }`, ABC's order, every issue with all eight fields. */
function feedbackView(feedback: FeedbackSnapshot) {
  const values = Object.fromEntries(Object.entries(feedback.values).filter(([key]) => !OWN_KEYS.has(key)));
  return {
    id: feedback.id,
    createdAt: iso(feedback.createdAt),
    updatedAt: iso(feedback.updatedAt),
    ...values,
    issues: feedback.issues.map(issueView),
  };
}

const ref = (r: ProjectRef) => ({ id: r.id, name: r.name });

export function feedbackCreation(project: ProjectRef, channel: ChannelRef, feedback: FeedbackSnapshot): Envelope {
  return {
    event: 'FEEDBACK_CREATION',
    data: {
      feedback: feedbackView(feedback),
      channel: ref(channel),
      project: ref(project),
    },
  };
}

export function issueCreation(project: ProjectRef, issue: IssueSnapshot): Envelope {
  return { event: 'ISSUE_CREATION', data: { issue: issueView(issue), project: ref(project) } };
}

export function issueStatusChange(project: ProjectRef, issue: IssueSnapshot, previousStatus: IssueStatus): Envelope {
  return { event: 'ISSUE_STATUS_CHANGE', data: { issue: issueView(issue), project: ref(project), previousStatus } };
}

/**
 * The feedback as in FEEDBACK_CREATION (every issue in full, not the short form of ABC's docs) and
 * the added issue, which ABC's listener takes from that same list: both show the addition's times.
 */
export function issueAddition(project: ProjectRef, channel: ChannelRef, feedback: FeedbackSnapshot, added: IssueSnapshot): Envelope {
  return {
    event: 'ISSUE_ADDITION',
    data: {
      feedback: feedbackView(feedback),
      channel: ref(channel),
      project: ref(project),
      addedIssue: issueView(added),
    },
  };
}
