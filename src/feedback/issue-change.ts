import type { IssuePatch, IssueRow } from './issue-repository';

/**
 * The part of a PATCH that differs from the issue as stored. An edit that repeats what is there
 * (the same status, say) changes nothing, so it must not move updatedAt either: that time shows
 * in later answers and events (ISSUE_ADDITION's addedIssue) as when the issue last changed.
 */
export function effectiveChange(before: Pick<IssueRow, 'name' | 'status' | 'description' | 'externalIssueId'>, change: IssuePatch): IssuePatch {
  const effective: IssuePatch = {};
  if (change.name !== undefined && change.name !== before.name) effective.name = change.name;
  if (change.status !== undefined && change.status !== before.status) effective.status = change.status;
  if (change.description !== undefined && change.description !== before.description) effective.description = change.description;
  if (change.externalIssueId !== undefined && change.externalIssueId !== before.externalIssueId) effective.externalIssueId = change.externalIssueId;
  return effective;
}
