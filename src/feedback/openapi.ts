import { z } from 'zod';
import { ISSUE_STATUSES } from '../outbound';
import { adminApiDocs, adminErrors, isoTime, problem, type ResponseDoc, type RouteDoc } from '../shared/route-doc';
import { FIELD_TYPES } from './fields';
import { addIssueBody, channelBody, channelFieldsBody, feedbackIssues, issueBody, issuePatch, projectBody, projectPatch } from './schemas';

const times = { createdAt: isoTime, updatedAt: isoTime };
const field = z.object({
  key: z.string(),
  type: z.enum(FIELD_TYPES),
  required: z.boolean(),
  email: z.boolean().optional(),
  options: z.array(z.string()).optional(),
});
const channel = z.object({ id: z.number(), projectId: z.number(), name: z.string(), fields: z.array(field), ...times });
const project = z.object({ id: z.number(), name: z.string(), recordRefunds: z.boolean(), channels: z.array(channel), ...times });
const issue = z.object({
  id: z.number(),
  ...times,
  name: z.string(),
  description: z.string().nullable(),
  status: z.enum(ISSUE_STATUSES),
  externalIssueId: z.string().nullable(),
  feedbackCount: z.number(),
  projectId: z.number(),
});
/** The outbound event a change emitted (msg_…), in answers to changes. */
const emitted = { eventId: z.string().optional() };
// The channel's field values sit beside these keys, so the object is open.
const feedback = z.looseObject({ id: z.number(), projectId: z.number(), channelId: z.number(), issues: z.array(issue), ...times, ...emitted });

const missing = problem('no such project, channel, feedback or issue (details.resource names which)');
const invalid = problem('validation_failed: details.fields names each field');
const answer = (description: string, schema: z.ZodType, extra: Record<number, ResponseDoc> = {}): Record<number, ResponseDoc> => ({
  200: { description, schema },
  ...extra,
  ...adminErrors,
});
const created = (description: string, schema: z.ZodType): Record<number, ResponseDoc> => ({
  201: { description, schema },
  404: missing,
  422: invalid,
  ...adminErrors,
});
const doc = adminApiDocs('Feedback');

export const feedbackRouteDocs: RouteDoc[] = [
  doc('get', '/projects', 'Projects with their channels', { responses: answer('every project', z.object({ projects: z.array(project) })) }),
  doc('post', '/projects', 'Create a project', { body: projectBody, responses: created('the project', project) }),
  doc('patch', '/projects/:projectId', 'Rename a project or change recordRefunds', {
    body: projectPatch,
    responses: answer('the project', project, { 404: missing, 422: invalid }),
  }),
  doc('post', '/projects/:projectId/channels', 'Create a channel (without fields: message and userEmail)', {
    body: channelBody,
    responses: created('the channel', channel),
  }),
  doc('get', '/projects/:projectId/channels/:channelId', 'A channel with its fields', { responses: answer('the channel', channel, { 404: missing }) }),
  doc('put', '/projects/:projectId/channels/:channelId/fields', "Replace a channel's fields", {
    body: channelFieldsBody,
    responses: answer('the channel', channel, { 404: missing, 422: invalid }),
  }),
  doc('post', '/projects/:projectId/channels/:channelId/feedbacks', 'Create feedback; emits FEEDBACK_CREATION (and ISSUE_CREATION for new issueNames)', {
    description: "The body is the channel's field values, beside issueIds and issueNames.",
    body: feedbackIssues.catchall(z.unknown()),
    responses: created('the feedback', feedback),
  }),
  doc('get', '/projects/:projectId/channels/:channelId/feedbacks/:feedbackId', 'One feedback', {
    responses: answer('the feedback', feedback, { 400: problem('an id that is not a positive whole number'), 404: missing }),
  }),
  doc('post', '/projects/:projectId/channels/:channelId/feedbacks/:feedbackId/issues', 'File a feedback under an issue; emits ISSUE_ADDITION', {
    body: addIssueBody,
    responses: created('the feedback', feedback),
  }),
  doc('get', '/projects/:projectId/issues', "A project's issues", { responses: answer('every issue', z.object({ issues: z.array(issue) }), { 404: missing }) }),
  doc('post', '/projects/:projectId/issues', 'Create an issue; emits ISSUE_CREATION', {
    body: issueBody,
    responses: { ...created('the issue', issue.extend(emitted)), 409: problem('the name is taken in this project') },
  }),
  doc('patch', '/projects/:projectId/issues/:issueId', 'Change an issue; emits ISSUE_STATUS_CHANGE when the status changes', {
    body: issuePatch,
    responses: answer('the issue', issue.extend(emitted), { 404: missing, 409: problem('the name is taken in this project'), 422: invalid }),
  }),
];
