import express from 'express';
import { parseBody, parseId } from '../http/parse';
import { AppError } from '../shared/errors';
import { addIssueBody, channelBody, channelFieldsBody, feedbackIssues, issueBody, issuePatch, projectBody, projectPatch } from './schemas';
import type { FeedbackRequest, FeedbackService } from './service';

/** A positive whole-number id from the path; anything else is a 400 naming the parameter. */
function strictId(req: express.Request, param: 'projectId' | 'channelId' | 'feedbackId'): number {
  const text = req.params[param];
  const id = typeof text === 'string' && /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(id)) return id;
  const message = `${param} must be a positive whole number, got "${String(text)}"`;
  throw new AppError('bad_request', message, { fields: [{ field: param, message }] });
}

/** A feedback body: an object of field values, with issueIds and issueNames beside them. */
function feedbackRequest(body: unknown): FeedbackRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_failed', 'invalid feedback: (body): must be a JSON object', {
      fields: [{ field: '(body)', message: 'must be a JSON object' }],
    });
  }
  const { issueIds, issueNames, ...values } = body as Record<string, unknown>;
  const issues = parseBody(feedbackIssues, { issueIds, issueNames }, 'feedback');
  return { values, issueIds: issues.issueIds ?? [], issueNames: issues.issueNames ?? [] };
}

/** The feedback admin API, mounted under /api behind the admin JWT. Routes parse and answer. */
export function feedbackRouter(service: FeedbackService): express.Router {
  const router = express.Router();
  const project = (req: express.Request) => parseId(req.params.projectId, 'project');
  const channel = (req: express.Request) => parseId(req.params.channelId, 'channel');

  router.get('/projects', async (_req, res) => {
    res.json({ projects: await service.listProjects() });
  });
  router.post('/projects', async (req, res) => {
    res.status(201).json(await service.createProject(parseBody(projectBody, req.body, 'project')));
  });
  router.patch('/projects/:projectId', async (req, res) => {
    res.json(await service.updateProject(project(req), parseBody(projectPatch, req.body, 'project')));
  });
  router.post('/projects/:projectId/channels', async (req, res) => {
    res.status(201).json(await service.createChannel(project(req), parseBody(channelBody, req.body, 'channel')));
  });
  router.get('/projects/:projectId/channels/:channelId', async (req, res) => {
    res.json(await service.getChannel(project(req), channel(req)));
  });
  router.put('/projects/:projectId/channels/:channelId/fields', async (req, res) => {
    res.json(await service.replaceChannelFields(project(req), channel(req), parseBody(channelFieldsBody, req.body, 'channel fields').fields));
  });
  router.post('/projects/:projectId/channels/:channelId/feedbacks', async (req, res) => {
    res.status(201).json(await service.createFeedback(project(req), channel(req), feedbackRequest(req.body)));
  });
  router.get('/projects/:projectId/channels/:channelId/feedbacks/:feedbackId', async (req, res) => {
    res.json(await service.getFeedback(strictId(req, 'projectId'), strictId(req, 'channelId'), strictId(req, 'feedbackId')));
  });
  router.post('/projects/:projectId/channels/:channelId/feedbacks/:feedbackId/issues', async (req, res) => {
    const feedbackId = parseId(req.params.feedbackId, 'feedback');
    const { issueId } = parseBody(addIssueBody, req.body, 'issue addition');
    res.status(201).json(await service.addIssue(project(req), channel(req), feedbackId, issueId));
  });
  router.get('/projects/:projectId/issues', async (req, res) => {
    res.json({ issues: await service.listIssues(project(req)) });
  });
  router.post('/projects/:projectId/issues', async (req, res) => {
    res.status(201).json(await service.createIssue(project(req), parseBody(issueBody, req.body, 'issue')));
  });
  router.patch('/projects/:projectId/issues/:issueId', async (req, res) => {
    const issueId = parseId(req.params.issueId, 'issue');
    res.json(await service.updateIssue(project(req), issueId, parseBody(issuePatch, req.body, 'issue change')));
  });
  return router;
}
