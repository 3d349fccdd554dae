// The feedback domain (ABC User Feedback style): projects, channels, feedback and issues, whose
// changes emit the outbound events.
export { addIssueToFeedback, changeIssue, createFeedback, createIssue, type ChangeContext } from './changes';
export { ensureDefaults, type FeedbackDefaults } from './defaults';
export { recordRefunds, refundFacts, refundMessage, REFUNDS_CHANNEL, type RefundFacts } from './refunds';
export { feedbackRouter } from './routes';
export { FeedbackService, type FeedbackServiceDeps } from './service';
