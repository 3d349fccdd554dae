import { abcEvents, type Emit, type IssueStatus } from '../outbound';
import { AppError } from '../shared/errors';
import type { Queryable, Tx } from '../storage/port';
import {
  findFeedback,
  findIssue,
  insertFeedback,
  insertIssue,
  issueByName,
  issuesByIds,
  issuesOfFeedback,
  linkIssue,
  lockIssueNames,
  touchFeedback,
  updateIssue,
  type FeedbackRow,
  type IssueRow,
  type NewFeedback,
} from './issue-repository';
import { findChannel, findProject, type ChannelRow, type ProjectRow } from './repository';
import { effectiveChange } from './issue-change';
import { feedbackSnapshot, issueSnapshot } from './snapshots';

// The changes that emit ABC events. Each runs inside the caller's transaction and awaits only it,
// with the emit last: the change, its event and the deliveries commit together or not at all.

export interface ChangeContext {
  tx: Tx;
  emit: Emit;
  now: number;
}

// Not-found errors name what is missing in `details.resource`, so a client can tell an unknown
// project from an unknown channel or feedback without reading the message.
export async function requireProject(db: Queryable, projectId: number): Promise<ProjectRow> {
  const project = await findProject(db, projectId);
  if (!project) throw new AppError('not_found', `no project ${projectId}`, { resource: 'project', projectId });
  return project;
}

export async function requireChannel(db: Queryable, projectId: number, channelId: number): Promise<{ project: ProjectRow; channel: ChannelRow }> {
  const project = await requireProject(db, projectId);
  const channel = await findChannel(db, projectId, channelId);
  if (!channel) throw new AppError('not_found', `no channel ${channelId} in project ${projectId}`, { resource: 'channel', projectId, channelId });
  return { project, channel };
}

/** A feedback of a channel the caller has already found (requireChannel). */
export async function requireFeedback(db: Queryable, channelId: number, feedbackId: number): Promise<FeedbackRow> {
  const feedback = await findFeedback(db, channelId, feedbackId);
  if (!feedback) throw new AppError('not_found', `no feedback ${feedbackId} in channel ${channelId}`, { resource: 'feedback', channelId, feedbackId });
  return feedback;
}

async function requireIssue(db: Queryable, projectId: number, issueId: number): Promise<IssueRow> {
  const issue = await findIssue(db, projectId, issueId);
  if (!issue) throw new AppError('not_found', `no issue ${issueId} in project ${projectId}`);
  return issue;
}

export type FeedbackInput = Omit<NewFeedback, 'projectId' | 'channelId'> & {
  /** Existing issues of the project to file the feedback under. */
  issueIds: number[];
  /** Issues named; the missing ones are created (ISSUE_CREATION each), as ABC's issueNames. */
  issueNames: string[];
};

async function requireIssueIds(db: Queryable, projectId: number, ids: number[]): Promise<void> {
  const found = new Set((await issuesByIds(db, projectId, ids)).map((i) => i.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length === 0) return;
  const fields = missing.map((id) => ({ field: 'issueIds', message: `issue ${id} is not in project ${projectId}` }));
  throw new AppError('validation_failed', fields.map((f) => f.message).join('; '), { fields });
}

/** The ids of the named issues, creating the missing ones under the project's issue-name lock. */
async function issuesNamed(ctx: ChangeContext, project: ProjectRow, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  await lockIssueNames(ctx.tx, project.id);
  const ids: number[] = [];
  for (const name of names) {
    const existing = await issueByName(ctx.tx, project.id, name);
    ids.push(existing?.id ?? (await newIssue(ctx, project, { name, description: null, externalIssueId: null })).issue.id);
  }
  return ids;
}

/**
 * FEEDBACK_CREATION, with the issues it was filed under; `input.values` are already checked (or
 * written by iaphook itself). Issues created for `issueNames` emit ISSUE_CREATION first, showing
 * them as created; being filed under at creation is part of FEEDBACK_CREATION, so no ISSUE_ADDITION.
 */
export async function createFeedback(ctx: ChangeContext, projectId: number, channelId: number, input: FeedbackInput) {
  const { project, channel } = await requireChannel(ctx.tx, projectId, channelId);
  const byId = [...new Set(input.issueIds)];
  await requireIssueIds(ctx.tx, projectId, byId);
  const byName = await issuesNamed(ctx, project, [...new Set(input.issueNames)]);
  const feedback = await insertFeedback(ctx.tx, { values: input.values, sourceKey: input.sourceKey, projectId, channelId }, ctx.now);
  // In id order, so two feedbacks filed under the same issues at once take the issues' row locks in
  // the same order (no deadlock). Links made together share a time and are read back by id anyway.
  for (const issueId of [...new Set([...byId, ...byName])].sort((x, y) => x - y)) await linkIssue(ctx.tx, feedback.id, issueId, ctx.now);
  const issues = await issuesOfFeedback(ctx.tx, feedback.id);
  const envelope = abcEvents.feedbackCreation(project, channel, feedbackSnapshot(feedback, issues));
  const emitted = await ctx.emit(ctx.tx, { projectId, channelId, envelope }, ctx.now);
  return { feedback, channel, issues, eventId: emitted.eventId };
}

export interface IssueInput {
  name: string;
  description: string | null;
  externalIssueId: string | null;
}

/** ISSUE_CREATION; names are unique per project (checked under the project's issue-name lock). */
export async function createIssue(ctx: ChangeContext, projectId: number, input: IssueInput) {
  const project = await requireProject(ctx.tx, projectId);
  await lockIssueNames(ctx.tx, projectId);
  if (await issueByName(ctx.tx, projectId, input.name)) {
    throw new AppError('conflict', `an issue named "${input.name}" already exists in project ${projectId}`);
  }
  return newIssue(ctx, project, input);
}

/** Inserts an issue and emits its ISSUE_CREATION; the caller holds the issue-name lock and checked the name. */
async function newIssue(ctx: ChangeContext, project: ProjectRow, input: IssueInput) {
  const issue = await insertIssue(ctx.tx, { ...input, projectId: project.id }, ctx.now);
  const emitted = await ctx.emit(ctx.tx, { projectId: project.id, envelope: abcEvents.issueCreation(project, issueSnapshot(issue)) }, ctx.now);
  return { issue, eventId: emitted.eventId };
}

export interface IssueChange {
  name?: string;
  status?: IssueStatus;
  description?: string | null;
  externalIssueId?: string | null;
}

/** ISSUE_STATUS_CHANGE only when the status really changes; other edits emit nothing. */
export async function changeIssue(ctx: ChangeContext, projectId: number, issueId: number, change: IssueChange) {
  const project = await requireProject(ctx.tx, projectId);
  // Before reading the issue: a rename's check holds across instances, and two changes of one
  // issue at once see each other's status (each status change is reported once, from what it was).
  await lockIssueNames(ctx.tx, projectId);
  const before = await requireIssue(ctx.tx, projectId, issueId);
  if (change.name !== undefined && change.name !== before.name && (await issueByName(ctx.tx, projectId, change.name))) {
    throw new AppError('conflict', `an issue named "${change.name}" already exists in project ${projectId}`);
  }
  const effective = effectiveChange(before, change);
  if (Object.keys(effective).length === 0) return { issue: before, eventId: null };
  const issue = await updateIssue(ctx.tx, issueId, effective, ctx.now);
  if (issue.status === before.status) return { issue, eventId: null };
  const previous = before.status as IssueStatus;
  const envelope = abcEvents.issueStatusChange(project, issueSnapshot(issue), previous);
  return { issue, eventId: (await ctx.emit(ctx.tx, { projectId, envelope }, ctx.now)).eventId };
}

/**
 * ISSUE_ADDITION: an existing feedback filed under one more issue. As in ABC, the addition moves
 * the feedback's and the issue's updatedAt to now and counts the feedback on the issue.
 */
export async function addIssueToFeedback(ctx: ChangeContext, projectId: number, channelId: number, feedbackId: number, issueId: number) {
  const { project, channel } = await requireChannel(ctx.tx, projectId, channelId);
  await requireFeedback(ctx.tx, channelId, feedbackId);
  await requireIssue(ctx.tx, projectId, issueId);
  // The link's primary key decides: a second link of the same pair (here or on another instance) inserts nothing.
  if (!(await linkIssue(ctx.tx, feedbackId, issueId, ctx.now))) {
    throw new AppError('conflict', `feedback ${feedbackId} is already filed under issue ${issueId}`);
  }
  const feedback = await touchFeedback(ctx.tx, feedbackId, ctx.now);
  const issues = await issuesOfFeedback(ctx.tx, feedbackId);
  const snapshot = feedbackSnapshot(feedback, issues);
  // ABC's listener takes the added issue from the feedback's own list, so both show the same times.
  const added = snapshot.issues.find((i) => i.id === issueId);
  if (added === undefined) throw new Error(`addIssueToFeedback: issue ${issueId} is not among the issues of feedback ${feedbackId}`);
  const envelope = abcEvents.issueAddition(project, channel, snapshot, added);
  const emitted = await ctx.emit(ctx.tx, { projectId, channelId, envelope }, ctx.now);
  return { feedback, channel, issues, eventId: emitted.eventId };
}
