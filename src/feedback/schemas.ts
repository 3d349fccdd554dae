import { z } from 'zod';
import { ISSUE_STATUSES } from '../outbound';
import { fieldList } from './fields';

const name = z.string().trim().min(1, 'is required').max(255);
const id = z.number().int().positive();
const optionalText = (max: number) => z.string().max(max).nullable().optional();

export const projectBody = z.object({ name, recordRefunds: z.boolean().optional() });

export const projectPatch = z
  .object({ name: name.optional(), recordRefunds: z.boolean().optional() })
  .refine((p) => p.name !== undefined || p.recordRefunds !== undefined, 'send name or recordRefunds');

export const channelBody = z.object({ name, fields: fieldList.optional() });

export const channelFieldsBody = z.object({ fields: fieldList });

/**
 * The part of a feedback body that is not field values: the issues to file it under. The rest of
 * the body is the channel's field values, checked against its fields (field-values.ts).
 */
export const feedbackIssues = z.object({
  issueIds: z.array(id).max(50).optional(),
  issueNames: z.array(name).max(50).optional(),
});

export const issueBody = z.object({
  name,
  description: optionalText(10_000),
  externalIssueId: optionalText(255),
});

export const issuePatch = z
  .object({
    name: name.optional(),
    status: z.enum(ISSUE_STATUSES, { message: `must be one of ${ISSUE_STATUSES.join(', ')}` }).optional(),
    description: optionalText(10_000),
    externalIssueId: optionalText(255),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'send at least one of name, status, description, externalIssueId');

export const addIssueBody = z.object({ issueId: id });
