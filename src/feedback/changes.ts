import { abcEvents, type Emit, type IssueStatus } from '../outbound';
import { AppError } from '../shared/errors';
import type { Db } from '../storage/sqlite/database';
import {
  findFeedback,
  findIssue,
  insertFeedback,
  insertIssue,
  issueByName,
  issuesByIds,
  issuesOfFeedback,
  linkIssue,
  updateIssue,
  type FeedbackRow,
  type IssueRow,
  type NewFeedback,
} from './issue-repository';
import { findChannel, findProject, type ChannelRow, type ProjectRow } from './repository';
import { feedbackSnapshot, issueSnapshot } from './snapshots';

// The changes that emit ABC events. Each is synchronous and runs inside the caller's transaction,
// with the emit last: the change, its event and the deliveries commit together or not at all.

export interface ChangeContext {
  db: Db;
  emit: Emit;
  now: number;
}

// Not-found errors name what is missing in `details.resource`, so a client can tell an unknown
// project from an unknown channel or feedback without reading the message.
export function requireProject(db: Db, projectId: number): ProjectRow {
  const project = findProject(db, projectId);
  if (!project) throw new AppError('not_found', `no project ${projectId}`, { resource: 'project', projectId });
  return project;
}

export function requireChannel(db: Db, projectId: number, channelId: number): { project: ProjectRow; channel: ChannelRow } {
  const project = requireProject(db, projectId);
  const channel = findChannel(db, projectId, channelId);
  if (!channel) throw new AppError('not_found', `no channel ${channelId} in project ${projectId}`, { resource: 'channel', projectId, channelId });
  return { project, channel };
}

/** A feedback of a channel the caller has already found (requireChannel). */
export function requireFeedback(db: Db, channelId: number, feedbackId: number): FeedbackRow {
  const feedback = findFeedback(db, channelId, feedbackId);
  if (!feedback) throw new AppError('not_found', `no feedback ${feedbackId} in channel ${channelId}`, { resource: 'feedback', channelId, feedbackId });
  return feedback;
}

function requireIssue(db: Db, projectId: number, issueId: number): IssueRow {
  const issue = findIssue(db, projectId, issueId);
  if (!issue) throw new AppError('not_found', `no issue ${issueId} in project ${projectId}`);
  return issue;
}

export type FeedbackInput = Omit<NewFeedback, 'projectId' | 'channelId'> & { issueIds: number[] };

/** FEEDBACK_CREATION, with the issues it was filed under. */
export function createFeedback(ctx: ChangeContext, projectId: number, channelId: number, input: FeedbackInput) {
  const { project, channel } = requireChannel(ctx.db, projectId, channelId);
  const issueIds = [...new Set(input.issueIds)];
  const found = new Set(issuesByIds(ctx.db, projectId, issueIds).map((i) => i.id));
  const missing = issueIds.filter((id) => !found.has(id));
  if (missing.length > 0) {
    const fields = missing.map((id) => ({ field: 'issueIds', message: `issue ${id} is not in project ${projectId}` }));
    throw new AppError('validation_failed', fields.map((f) => f.message).join('; '), { fields });
  }
  const { issueIds: _ignored, ...fields } = input;
  const feedback = insertFeedback(ctx.db, { ...fields, projectId, channelId }, ctx.now);
  for (const issueId of issueIds) linkIssue(ctx.db, feedback.id, issueId, ctx.now);
  const issues = issuesOfFeedback(ctx.db, feedback.id);
  const envelope = abcEvents.feedbackCreation(project, channel, feedbackSnapshot(feedback, issues));
  const emitted = ctx.emit(ctx.db, { projectId, channelId, envelope }, ctx.now);
  return { feedback, issues, eventId: emitted.eventId };
}

export interface IssueInput {
  name: string;
  description: string | null;
  externalIssueId: string | null;
}

/** ISSUE_CREATION; names are unique per project. */
export function createIssue(ctx: ChangeContext, projectId: number, input: IssueInput) {
  const project = requireProject(ctx.db, projectId);
  if (issueByName(ctx.db, projectId, input.name)) throw new AppError('conflict', `an issue named "${input.name}" already exists in project ${projectId}`);
  const issue = insertIssue(ctx.db, { ...input, projectId }, ctx.now);
  const emitted = ctx.emit(ctx.db, { projectId, envelope: abcEvents.issueCreation(project, issueSnapshot(issue)) }, ctx.now);
  return { issue, eventId: emitted.eventId };
}

export interface IssueChange {
  name?: string;
  status?: IssueStatus;
  description?: string | null;
  externalIssueId?: string | null;
}

/** ISSUE_STATUS_CHANGE only when the status really changes; other edits emit nothing. */
export function changeIssue(ctx: ChangeContext, projectId: number, issueId: number, change: IssueChange) {
  const project = requireProject(ctx.db, projectId);
  const before = requireIssue(ctx.db, projectId, issueId);
  if (change.name !== undefined && change.name !== before.name && issueByName(ctx.db, projectId, change.name)) {
    throw new AppError('conflict', `an issue named "${change.name}" already exists in project ${projectId}`);
  }
  const issue = updateIssue(ctx.db, issueId, change, ctx.now);
  if (issue.status === before.status) return { issue, eventId: null };
  const previous = before.status as IssueStatus;
  const envelope = abcEvents.issueStatusChange(project, issueSnapshot(issue), previous);
  return { issue, eventId: ctx.emit(ctx.db, { projectId, envelope }, ctx.now).eventId };
}

/** ISSUE_ADDITION: an existing feedback filed under one more issue. */
export function addIssueToFeedback(ctx: ChangeContext, projectId: number, channelId: number, feedbackId: number, issueId: number) {
  const { project, channel } = requireChannel(ctx.db, projectId, channelId);
  const feedback = requireFeedback(ctx.db, channelId, feedbackId);
  requireIssue(ctx.db, projectId, issueId);
  if (!linkIssue(ctx.db, feedbackId, issueId, ctx.now)) {
    throw new AppError('conflict', `feedback ${feedbackId} is already filed under issue ${issueId}`);
  }
  const added = requireIssue(ctx.db, projectId, issueId);
  const issues = issuesOfFeedback(ctx.db, feedbackId);
  const envelope = abcEvents.issueAddition(project, channel, feedbackSnapshot(feedback, issues), issueSnapshot(added));
  const emitted = ctx.emit(ctx.db, { projectId, channelId, envelope }, ctx.now);
  return { feedback, issues, eventId: emitted.eventId };
}
