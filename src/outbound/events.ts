import type { Envelope, IssueStatus } from './types';

// Builders of ABC User Feedback's event payloads (see test/fixtures/abc/): the field names and
// nesting are ABC's, so a subscriber written against ABC reads ours unchanged. Times are ISO
// strings, ids are integers, as in ABC. Pure: the caller snapshots rows inside its transaction.

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
  message: string;
  userEmail: string | null;
  /** Extra fields shown beside the message (a refund's user, product, quantity). */
  fields: Record<string, unknown>;
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

function feedbackView(feedback: FeedbackSnapshot) {
  return {
    // Extra fields first so none of them can shadow the fields ABC defines.
    ...feedback.fields,
    id: feedback.id,
    createdAt: iso(feedback.createdAt),
    updatedAt: iso(feedback.updatedAt),
    message: feedback.message,
    ...(feedback.userEmail === null ? {} : { userEmail: feedback.userEmail }),
  };
}

const ref = (r: ProjectRef) => ({ id: r.id, name: r.name });

export function feedbackCreation(project: ProjectRef, channel: ChannelRef, feedback: FeedbackSnapshot): Envelope {
  return {
    event: 'FEEDBACK_CREATION',
    data: {
      feedback: { ...feedbackView(feedback), issues: feedback.issues.map(issueView) },
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

/** The feedback's issues in short form (id, name, status), the added one in full: as ABC. */
export function issueAddition(project: ProjectRef, channel: ChannelRef, feedback: FeedbackSnapshot, added: IssueSnapshot): Envelope {
  return {
    event: 'ISSUE_ADDITION',
    data: {
      feedback: {
        ...feedbackView(feedback),
        issues: feedback.issues.map((i) => ({ id: i.id, name: i.name, status: i.status })),
      },
      channel: ref(channel),
      project: ref(project),
      addedIssue: issueView(added),
    },
  };
}
