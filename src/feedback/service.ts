import type { Emit } from '../outbound';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import { channelView, createChannel, replaceChannelFields } from './channels';
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
import { checkFeedbackValues } from './field-values';
import type { ChannelField } from './fields';
import { issuesOfFeedback, listIssues } from './issue-repository';
import { ensureRefundsChannel } from './refunds';
import { insertProject, listChannels, listProjects, lockProjectNames, projectByName, updateProject, type ChannelRow, type ProjectRow } from './repository';
import { feedbackApiView, issueApiView } from './snapshots';

const iso = (ms: number) => new Date(ms).toISOString();

/** A feedback as the API takes it: the channel's field values, beside the issues to file it under. */
export interface FeedbackRequest {
  values: Record<string, unknown>;
  issueIds: number[];
  issueNames: string[];
}

function projectView(p: ProjectRow, channels: ChannelRow[]) {
  return {
    id: p.id,
    name: p.name,
    recordRefunds: p.recordRefunds,
    channels: channels.map(channelView),
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

export interface FeedbackServiceDeps {
  storage: Pick<Storage, 'read' | 'write'>;
  clock: Clock;
  emit: Emit;
  /** Called after a commit that emitted events: wakes the outbound worker. */
  notify(): void;
}

/** Projects, channels, feedback and issues. Every change that emits commits with its event. */
export class FeedbackService {
  constructor(private readonly deps: FeedbackServiceDeps) {}

  async listProjects() {
    const db = this.deps.storage.read;
    const channels = await listChannels(db);
    return (await listProjects(db)).map((p) =>
      projectView(
        p,
        channels.filter((c) => c.projectId === p.id),
      ),
    );
  }

  // Project names are unique: creates and renames check under the project-name lock (repository.ts).
  createProject(input: { name: string; recordRefunds?: boolean }) {
    return this.deps.storage.write(async (tx) => {
      await lockProjectNames(tx);
      if (await projectByName(tx, input.name)) throw new AppError('conflict', `a project named "${input.name}" already exists`);
      const now = this.deps.clock.now();
      const project = await insertProject(tx, input.name, input.recordRefunds ?? false, now);
      const channels = project.recordRefunds ? [await ensureRefundsChannel(tx, project.id, now)] : [];
      return projectView(project, channels);
    });
  }

  updateProject(projectId: number, patch: { name?: string; recordRefunds?: boolean }) {
    return this.deps.storage.write(async (tx) => {
      if (patch.name !== undefined) await lockProjectNames(tx);
      const current = await requireProject(tx, projectId);
      if (patch.name !== undefined && patch.name !== current.name && (await projectByName(tx, patch.name))) {
        throw new AppError('conflict', `a project named "${patch.name}" already exists`);
      }
      const now = this.deps.clock.now();
      const project = await updateProject(tx, projectId, patch, now);
      if (project.recordRefunds) await ensureRefundsChannel(tx, project.id, now);
      return projectView(
        project,
        (await listChannels(tx)).filter((c) => c.projectId === projectId),
      );
    });
  }

  createChannel(projectId: number, input: { name: string; fields?: ChannelField[] }) {
    return this.deps.storage.write((tx) => createChannel(tx, projectId, input, this.deps.clock.now()));
  }

  async getChannel(projectId: number, channelId: number) {
    return channelView((await requireChannel(this.deps.storage.read, projectId, channelId)).channel);
  }

  replaceChannelFields(projectId: number, channelId: number, fields: ChannelField[]) {
    return this.deps.storage.write((tx) => replaceChannelFields(tx, projectId, channelId, fields, this.deps.clock.now()));
  }

  async listIssues(projectId: number) {
    const db = this.deps.storage.read;
    await requireProject(db, projectId);
    return (await listIssues(db, projectId)).map(issueApiView);
  }

  /** One feedback as createFeedback answers it, without the eventId of its creation. */
  async getFeedback(projectId: number, channelId: number, feedbackId: number) {
    const db = this.deps.storage.read;
    const { channel } = await requireChannel(db, projectId, channelId);
    const feedback = await requireFeedback(db, channelId, feedbackId);
    return feedbackApiView(feedback, await issuesOfFeedback(db, feedbackId), channel.fields);
  }

  /** The values are checked against the channel's fields as they are in this transaction. */
  createFeedback(projectId: number, channelId: number, request: FeedbackRequest) {
    return this.change(async (ctx) => {
      const { channel } = await requireChannel(ctx.tx, projectId, channelId);
      const values = checkFeedbackValues(channel.fields, request.values);
      const made = await createFeedback(ctx, projectId, channelId, { values, issueIds: request.issueIds, issueNames: request.issueNames, sourceKey: null });
      return { ...feedbackApiView(made.feedback, made.issues, made.channel.fields), eventId: made.eventId };
    });
  }

  createIssue(projectId: number, input: { name: string; description?: string | null; externalIssueId?: string | null }) {
    return this.change(async (ctx) => {
      const made = await createIssue(ctx, projectId, {
        name: input.name,
        description: input.description ?? null,
        externalIssueId: input.externalIssueId ?? null,
      });
      return { ...issueApiView(made.issue), eventId: made.eventId };
    });
  }

  updateIssue(projectId: number, issueId: number, change: IssueChange) {
    return this.change(async (ctx) => {
      const made = await changeIssue(ctx, projectId, issueId, change);
      return { ...issueApiView(made.issue), eventId: made.eventId };
    });
  }

  addIssue(projectId: number, channelId: number, feedbackId: number, issueId: number) {
    return this.change(async (ctx) => {
      const made = await addIssueToFeedback(ctx, projectId, channelId, feedbackId, issueId);
      return { ...feedbackApiView(made.feedback, made.issues, made.channel.fields), eventId: made.eventId };
    });
  }

  /** One transaction for the change and its events; the worker is woken once it has committed. */
  private async change<T>(work: (ctx: ChangeContext) => Promise<T>): Promise<T> {
    const result = await this.deps.storage.write((tx) => work({ tx, emit: this.deps.emit, now: this.deps.clock.now() }));
    this.deps.notify();
    return result;
  }
}
