import type { Envelope, EventType } from './types';

// The example event a test delivery carries (POST /api/projects/:projectId/webhooks/:webhookId/test),
// one per type: ABC User Feedback's documented examples (test/fixtures/abc/) with the status ABC
// really sends (INIT) where its documentation shows an OPEN it does not have, and for
// ISSUE_ADDITION the full shape ABC's server builds (test/fixtures/abc/as-sent/issue-addition.json);
// entitlement.updated as the README shows it.

const issue = {
  id: 789,
  createdAt: '2024-01-15T11:00:00.000Z',
  name: 'New Issue',
  description: 'Issue description',
  externalIssueId: 'EXT-789',
};
const project = { id: 1, name: 'My Project' };
// ISSUE_ADDITION's issue, in full: as addedIssue and among the feedback's issues, as ABC sends it.
const addedIssue = {
  id: 789,
  createdAt: '2026-03-02T10:45:00.000Z',
  updatedAt: '2026-03-02T11:00:00.000Z',
  name: 'Newly added issue',
  description: null,
  status: 'ON_REVIEW',
  externalIssueId: null,
  feedbackCount: 1,
};

export const EXAMPLE_EVENTS: Record<EventType, Envelope> = {
  FEEDBACK_CREATION: {
    event: 'FEEDBACK_CREATION',
    data: {
      feedback: {
        id: 123,
        createdAt: '2024-01-15T10:30:00.000Z',
        updatedAt: '2024-01-15T10:30:00.000Z',
        message: 'User feedback content',
        userEmail: 'user@example.com',
        issues: [
          {
            id: 456,
            createdAt: '2024-01-15T10:30:00.000Z',
            updatedAt: '2024-01-15T10:30:00.000Z',
            name: 'Bug Report',
            description: 'Issue description',
            status: 'INIT',
            externalIssueId: 'EXT-123',
            feedbackCount: 5,
          },
        ],
      },
      channel: { id: 1, name: 'Website Feedback' },
      project,
    },
  },
  ISSUE_CREATION: {
    event: 'ISSUE_CREATION',
    data: { issue: { ...issue, updatedAt: '2024-01-15T11:00:00.000Z', status: 'INIT', feedbackCount: 0 }, project },
  },
  ISSUE_STATUS_CHANGE: {
    event: 'ISSUE_STATUS_CHANGE',
    data: {
      issue: { ...issue, name: 'Issue Name', updatedAt: '2024-01-15T12:00:00.000Z', status: 'IN_PROGRESS', feedbackCount: 3 },
      project,
      previousStatus: 'INIT',
    },
  },
  ISSUE_ADDITION: {
    event: 'ISSUE_ADDITION',
    data: {
      feedback: {
        id: 123,
        createdAt: '2026-03-02T10:30:00.000Z',
        updatedAt: '2026-03-02T11:00:00.000Z',
        message: 'The purchase button does nothing',
        userEmail: 'user@example.com',
        category: 'bug',
        issues: [
          {
            id: 456,
            createdAt: '2026-03-01T09:00:00.000Z',
            updatedAt: '2026-03-01T09:00:00.000Z',
            name: 'Existing issue',
            description: 'Reported before',
            status: 'INIT',
            externalIssueId: 'EXT-456',
            feedbackCount: 5,
          },
          addedIssue,
        ],
      },
      channel: { id: 1, name: 'Website feedback' },
      project,
      addedIssue,
    },
  },
  // iaphook's own event, as the README documents it.
  'entitlement.updated': {
    event: 'entitlement.updated',
    data: {
      userId: 'user-7f3a',
      environment: 'sandbox',
      productId: 'com.example.app.gems10',
      nachoProductId: 'NP-NXGLSTOEXK-0003',
      productType: 'consumable',
      cause: 'refund',
      eventId: 'evt_01KJ0000000000000000000000',
      idempotencyKey: null,
      sequence: 2,
      before: { purchased: 5, refunded: 0, consumed: 0, balance: 5, active: true },
      after: { purchased: 5, refunded: 2, consumed: 0, balance: 3, active: true },
    },
  },
};
