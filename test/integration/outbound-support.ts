import type { TestRuntime } from '../support/runtime';
import type { Recorded } from '../support/subscriber';

// Shared steps of the outbound and feedback tests: the admin API as a test client.

export const ALL_EVENTS = ['FEEDBACK_CREATION', 'ISSUE_CREATION', 'ISSUE_STATUS_CHANGE', 'ISSUE_ADDITION'].map((type) => ({ type, status: 'ACTIVE' }));

export function webhookBody(url: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `hook-${Math.random().toString(36).slice(2, 10)}`, url, status: 'ACTIVE', events: ALL_EVENTS, ...overrides };
}

export interface AttemptView {
  attempt: number;
  at: string;
  statusCode: number | null;
  latencyMs: number | null;
  errorClass: string | null;
  error: string | null;
  responseSnippet: string | null;
}

export interface DeliveryView {
  id: string;
  event: string;
  eventId: string;
  state: string;
  nextAttemptAt: string | null;
  attempts: AttemptView[];
}

export function adminApi(rt: TestRuntime) {
  // A token per call, issued on the runtime's clock: tests move a ManualClock days ahead, and the
  // JWT check reads the same clock.
  const auth = () => `Bearer ${rt.adminToken()}`;
  const projectId = rt.feedbackDefaults.projectId;
  const channelId = rt.feedbackDefaults.channelId;
  return {
    projectId,
    channelId,
    get: (path: string) => rt.http.get(`/api${path}`).set('Authorization', auth()),
    post: (path: string, body: unknown = {}) =>
      rt.http
        .post(`/api${path}`)
        .set('Authorization', auth())
        .send(body as object),
    put: (path: string, body: unknown) =>
      rt.http
        .put(`/api${path}`)
        .set('Authorization', auth())
        .send(body as object),
    patch: (path: string, body: unknown) =>
      rt.http
        .patch(`/api${path}`)
        .set('Authorization', auth())
        .send(body as object),
    del: (path: string) => rt.http.delete(`/api${path}`).set('Authorization', auth()),
    async createWebhook(url: string, overrides: Record<string, unknown> = {}, project = projectId): Promise<{ id: number }> {
      const res = await this.post(`/projects/${project}/webhooks`, webhookBody(url, overrides));
      if (res.status !== 201) throw new Error(`webhook not created: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: number };
    },
    async createIssue(name: string, extra: Record<string, unknown> = {}, project = projectId): Promise<{ id: number; eventId: string }> {
      const res = await this.post(`/projects/${project}/issues`, { name, ...extra }).expect(201);
      return res.body as { id: number; eventId: string };
    },
    async createProject(name: string): Promise<{ id: number; channels: Array<{ id: number; name: string }> }> {
      const res = await this.post('/projects', { name }).expect(201);
      return res.body as { id: number; channels: Array<{ id: number; name: string }> };
    },
    async webhook(webhookId: number, project = projectId): Promise<Record<string, unknown>> {
      return (await this.get(`/projects/${project}/webhooks/${webhookId}`).expect(200)).body as Record<string, unknown>;
    },
    async createFeedback(body: Record<string, unknown>, channel = channelId): Promise<{ id: number }> {
      const res = await this.post(`/projects/${projectId}/channels/${channel}/feedbacks`, body).expect(201);
      return res.body as { id: number };
    },
    async deliveries(webhookId: number, project = projectId): Promise<DeliveryView[]> {
      const res = await this.get(`/projects/${project}/webhooks/${webhookId}/deliveries`).expect(200);
      return (res.body as { deliveries: DeliveryView[] }).deliveries;
    },
  };
}

/** Every outbound job that is due has run (and nothing is in flight). */
export function settle(rt: TestRuntime): Promise<void> {
  return rt.outboundWorker.whenIdle();
}

export const bodyOf = (r: Recorded): { event: string; data: Record<string, unknown> } => JSON.parse(r.body);
