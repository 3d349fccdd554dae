import { effectiveChange } from '../../src/feedback/issue-change';
import type { IssuePatch } from '../../src/feedback/issue-repository';

const stored = { name: 'Login fails', status: 'IN_PROGRESS', description: 'on iOS', externalIssueId: null };

describe('effectiveChange', () => {
  it.each<[string, IssuePatch, IssuePatch]>([
    ['the same status', { status: 'IN_PROGRESS' }, {}],
    ['every field as stored', { name: 'Login fails', status: 'IN_PROGRESS', description: 'on iOS', externalIssueId: null }, {}],
    ['another status', { status: 'RESOLVED' }, { status: 'RESOLVED' }],
    ['the same status and a new description', { status: 'IN_PROGRESS', description: 'on iOS 18' }, { description: 'on iOS 18' }],
    ['a description cleared', { description: null }, { description: null }],
    ['an external id set', { externalIssueId: 'T-1' }, { externalIssueId: 'T-1' }],
    ['a rename', { name: 'Sign-in fails' }, { name: 'Sign-in fails' }],
    ['a name differing only in case', { name: 'login fails' }, { name: 'login fails' }],
  ])('when a PATCH carries %s, then only what differs is left', (_label, change, expected) => {
    expect(effectiveChange(stored, change)).toEqual(expected);
  });
});
