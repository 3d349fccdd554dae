import type { Emit } from '../outbound';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Db } from '../storage/sqlite/database';
import type { GroupCommitter } from '../storage/sqlite/group-commit';
import {
  addIssueToFeedback,
  changeIssue,
  createFeedback,
  createIssue,
  requireChannel,
  requireFeedback,
  requireProject,
  type ChangeContext,
  type IssueChange,
} from './changes';
import { issuesOfFeedback, listIssues } from './issue-repository';
import { ensureRefundsChannel } from './refunds';
import { insertChannel, insertProject, listChannels, listProjects, projectByName, channelByName, updateProject, type ChannelRow, type ProjectRow } from './repository';
import { feedbackApiView, issueApiView } from './snapshots';

const iso = (ms: number) => new Date(ms).toISOString();

const channelView = (c: ChannelRow) => ({ id: c.id, projectId: c.projectId, name: c.name, createdAt: iso(c.createdAt) });

function projectView(p: ProjectRow, channels: ChannelRow[]) {
  return { id: p.id, name: p.name, recordRefunds: p.recordRefunds, channels: channels.map(channelView), createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt) };
}

export interface FeedbackServiceDeps {
  committer: GroupCommitter;
  db: Db;
  clock: Clock;
  emit: Emit;
  /** Called after a commit that emitted events: wakes the outbound worker. */
  notify(): void;
}

/** Projects, channels, feedback and issues. Every change that emits commits with its event. */
export class FeedbackService {
  constructor(private readonly deps: FeedbackServiceDeps) {}

  listProjects() {
    const channels = listChannels(this.deps.db);
    return listProjects(this.deps.db).map((p) => projectView(p, channels.filter((c) => c.projectId === p.id)));
  }

  createProject(input: { name: string; recordRefunds?: boolean }) {
    return this.deps.committer.run((db) => {
      if (projectByName(db, input.name)) throw new AppError('conflict', `a project named "${input.name}" already exists`);
      const now = this.deps.clock.now();
      const project = insertProject(db, input.name, input.recordRefunds ?? false, now);
      const channels = project.recordRefunds ? [ensureRefundsChannel(db, project.id, now)] : [];
      return projectView(project, channels);
    });
  }

  updateProject(projectId: number, patch: { name?: string; recordRefunds?: boolean }) {
    return this.deps.committer.run((db) => {
      const current = requireProject(db, projectId);
      if (patch.name !== undefined && patch.name !== current.name && projectByName(db, patch.name)) {
        throw new AppError('conflict', `a project named "${patch.name}" already exists`);
      }
      const now = this.deps.clock.now();
      const project = updateProject(db, projectId, patch, now);
      if (project.recordRefunds) ensureRefundsChannel(db, project.id, now);
      return projectView(project, listChannels(db).filter((c) => c.projectId === projectId));
    });
  }

  createChannel(projectId: number, name: string) {
    return this.deps.committer.run((db) => {
      requireProject(db, projectId);
      if (channelByName(db, projectId, name)) throw new AppError('conflict', `a channel named "${name}" already exists in project ${projectId}`);
      return channelView(insertChannel(db, projectId, name, this.deps.clock.now()));
    });
  }

  listIssues(projectId: number) {
    requireProject(this.deps.db, projectId);
    return listIssues(this.deps.db, projectId).map(issueApiView);
  }

  /** One feedback as createFeedback answers it, without the eventId of its creation. */
  getFeedback(projectId: number, channelId: number, feedbackId: number) {
    requireChannel(this.deps.db, projectId, channelId);
    const feedback = requireFeedback(this.deps.db, channelId, feedbackId);
    return feedbackApiView(feedback, issuesOfFeedback(this.deps.db, feedbackId));
  }

  createFeedback(projectId: number, channelId: number, input: { message: string; userEmail?: string | null; issueIds?: number[] }) {
    return this.change((ctx) => {
      const made = createFeedback(ctx, projectId, channelId, {
        message: input.message,
        userEmail: input.userEmail ?? null,
        issueIds: input.issueIds ?? [],
        fields: null,
        sourceKey: null,
      });
      return { ...feedbackApiView(made.feedback, made.issues), eventId: made.eventId };
    });
  }

  createIssue(projectId: number, input: { name: string; description?: string | null; externalIssueId?: string | null }) {
    return this.change((ctx) => {
      const made = createIssue(ctx, projectId, { name: input.name, description: input.description ?? null, externalIssueId: input.externalIssueId ?? null });
      return { ...issueApiView(made.issue), eventId: made.eventId };
    });
  }

  updateIssue(projectId: number, issueId: number, change: IssueChange) {
    return this.change((ctx) => {
      const made = changeIssue(ctx, projectId, issueId, change);
      return { ...issueApiView(made.issue), eventId: made.eventId };
    });
  }

  addIssue(projectId: number, channelId: number, feedbackId: number, issueId: number) {
    return this.change((ctx) => {
      const made = addIssueToFeedback(ctx, projectId, channelId, feedbackId, issueId);
      return { ...feedbackApiView(made.feedback, made.issues), eventId: made.eventId };
    });
  }

  /** One transaction for the change and its events; the worker is woken once it has committed. */
  private async change<T>(work: (ctx: ChangeContext) => T): Promise<T> {
    const result = await this.deps.committer.run((db) => work({ db, emit: this.deps.emit, now: this.deps.clock.now() }));
    this.deps.notify();
    return result;
  }
}
