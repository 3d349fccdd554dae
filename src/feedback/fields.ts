import { z } from 'zod';

// A channel's fields, as in ABC User Feedback: the channel declares which values its feedback
// carries (key, type, options), feedback is checked against them (field-values.ts), and every
// stored value is spread into data.feedback of the payloads. The type names are ABC's formats.

export const FIELD_TYPES = ['text', 'keyword', 'number', 'date', 'select', 'multiSelect'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface ChannelField {
  key: string;
  type: FieldType;
  required: boolean;
  /** select and multiSelect: the values allowed (ABC's option keys). */
  options?: string[];
  /** keyword only: the value must be an email address (the userEmail field channels always had). */
  email?: boolean;
}

/**
 * Keys a field cannot have: those the payload and the API answers set themselves (ABC reserves id,
 * ids, issues, issueIds, createdAt, updatedAt), the request's own issueNames, and the API's extras.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  'id',
  'ids',
  'issues',
  'issueIds',
  'issueNames',
  'createdAt',
  'updatedAt',
  'projectId',
  'channelId',
  'eventId',
]);

/**
 * The fields of a channel created without any, and of every channel that existed before channels
 * declared fields: what feedback always had, so nothing changes for existing clients. The schema
 * files carry the same list as the column default (a unit test keeps them equal).
 */
export const LEGACY_FIELDS: readonly ChannelField[] = [
  { key: 'message', type: 'text', required: true },
  { key: 'userEmail', type: 'keyword', required: false, email: true },
];

/** The Refunds channel's fields: what a recorded refund carries (refunds.ts). */
export const REFUND_FIELDS: readonly ChannelField[] = [
  { key: 'message', type: 'text', required: true },
  { key: 'userId', type: 'keyword', required: false },
  { key: 'productId', type: 'keyword', required: false },
  { key: 'quantity', type: 'number', required: false },
  { key: 'environment', type: 'keyword', required: false },
  { key: 'iapLogId', type: 'number', required: false },
  { key: 'refundedAt', type: 'date', required: false },
  { key: 'refundEventId', type: 'keyword', required: false },
];

export const sameFields = (a: readonly ChannelField[], b: readonly ChannelField[]): boolean => JSON.stringify(a) === JSON.stringify(b);

const SELECTS: readonly FieldType[] = ['select', 'multiSelect'];

const fieldKey = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a letter followed by up to 63 letters, digits or _')
  .refine((key) => !RESERVED_KEYS.has(key), { message: `is reserved (${[...RESERVED_KEYS].join(', ')})` });

const declaration = z
  .strictObject({
    key: fieldKey,
    type: z.enum(FIELD_TYPES, { message: `must be one of ${FIELD_TYPES.join(', ')}` }),
    required: z.boolean().optional(),
    options: z.array(z.string().trim().min(1, 'must not be empty').max(255)).min(1, 'needs at least one option').max(500).optional(),
    email: z.boolean().optional(),
  })
  .superRefine((field, ctx) => {
    const select = SELECTS.includes(field.type);
    if (select && field.options === undefined) ctx.addIssue({ code: 'custom', path: ['options'], message: `is required for a ${field.type} field` });
    if (!select && field.options !== undefined) ctx.addIssue({ code: 'custom', path: ['options'], message: 'is only for select and multiSelect fields' });
    const seen = new Set<string>();
    for (const [i, option] of (field.options ?? []).entries()) {
      if (seen.has(option)) ctx.addIssue({ code: 'custom', path: ['options', i], message: `"${option}" is listed twice` });
      seen.add(option);
    }
    if (field.email !== undefined && field.type !== 'keyword') ctx.addIssue({ code: 'custom', path: ['email'], message: 'is only for keyword fields' });
  })
  .transform((field): ChannelField => ({
    key: field.key,
    type: field.type,
    required: field.required ?? false,
    ...(field.options === undefined ? {} : { options: field.options }),
    ...(field.email === true ? { email: true } : {}),
  }));

/** A channel's field list as the API takes it: 1 to 100 fields, keys unique. */
export const fieldList = z
  .array(declaration)
  .min(1, 'a channel needs at least one field')
  .max(100)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    for (const [i, field] of fields.entries()) {
      if (seen.has(field.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `"${field.key}" is declared twice` });
      seen.add(field.key);
    }
  });

/** The stored list (channels.fields, JSON text), read back; written only from fieldList's output. */
export function parseStoredFields(text: string): ChannelField[] {
  return fieldList.parse(JSON.parse(text));
}
