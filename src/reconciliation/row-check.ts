import type { Environment } from '../nachocode';
import { parseEvent } from '../nachocode';
import { AppError } from '../shared/errors';
import {
  comparableFields,
  compareFields,
  identityKey,
  identityOf,
  type ComparableFields,
  type FieldMismatch,
  type LedgerFact,
  type RowIdentity,
  type RowType,
} from './compare';
import type { FileRow } from './file-reader';
import type { ImportOutcome } from './ingest';

/** A valid purchase or refund row of the environment being reconciled. */
export interface CheckedRow {
  kind: 'row';
  line: number;
  type: RowType;
  identity: RowIdentity;
  key: string;
  body: Record<string, unknown>;
  fields: ComparableFields;
  /** purchasedAt or refundedAt, epoch ms: the row's place in the file's time range. */
  time: number;
}

export type RowCheck =
  CheckedRow | { kind: 'invalid'; line: number; problems: string[] } | { kind: 'ignored'; line: number } | { kind: 'other_environment'; line: number };

function problemsOf(error: AppError): string[] {
  const fields = (error.details as { fields?: Array<{ field: string; message: string }> } | undefined)?.fields;
  return fields && fields.length > 0 ? fields.map((f) => `${f.field}: ${f.message}`) : [error.message];
}

/**
 * Validates a row exactly as the receiver would validate the same body, so a row that passes here
 * is one --ingest can store. Unavailable-users lists carry no purchase and are ignored.
 */
export function checkRow(row: FileRow, environment: Environment): RowCheck {
  if (row.error !== undefined) return { kind: 'invalid', line: row.line, problems: [row.error] };
  let event;
  try {
    event = parseEvent('auto', row.body);
  } catch (error) {
    if (error instanceof AppError) return { kind: 'invalid', line: row.line, problems: problemsOf(error) };
    throw error;
  }
  if (event.type === 'unavailable_users') return { kind: 'ignored', line: row.line };
  if (event.payload.environment !== environment) return { kind: 'other_environment', line: row.line };
  const identity = identityOf(event.type, event.payload);
  const when = event.type === 'purchase' ? event.payload.purchasedAt : event.payload.refundedAt;
  return {
    kind: 'row',
    line: row.line,
    type: event.type,
    identity,
    key: identityKey(identity),
    body: event.payload,
    fields: comparableFields(event.type, event.payload),
    time: Date.parse(when),
  };
}

export type Verdict = { kind: 'missing' } | { kind: 'matched' } | { kind: 'mismatched'; fields: FieldMismatch[] };

export function verdict(row: CheckedRow, fact: LedgerFact | undefined): Verdict {
  if (fact === undefined) return { kind: 'missing' };
  const fields = compareFields(row.fields, fact.fields);
  return fields.length === 0 ? { kind: 'matched' } : { kind: 'mismatched', fields };
}

const describe = (f: ComparableFields) => ({
  userId: f.userId ?? null,
  productId: f.productId ?? null,
  quantity: f.quantity ?? null,
  refundQuantity: f.refundQuantity,
  price: f.price ?? null,
  purchasedAt: f.purchasedAt,
});

/** A lost webhook: everything needed to find it in the nachocode dashboard and resend it. */
export function missingItem(row: CheckedRow, ingested?: ImportOutcome) {
  return {
    line: row.line,
    type: row.type,
    iapLogId: row.identity.iapLogId,
    refundedAt: row.identity.refundedAt,
    ...describe(row.fields),
    ...(ingested ? { ingested: { outcome: ingested.outcome, eventId: ingested.eventId, error: ingested.error } } : {}),
  };
}

export function extraItem(fact: LedgerFact) {
  return {
    type: fact.type,
    iapLogId: fact.iapLogId,
    refundedAt: fact.refundedAt,
    eventId: fact.eventId,
    rawRequestId: fact.rawRequestId,
    status: fact.status,
    source: fact.source,
    ...describe(fact.fields),
  };
}

export function mismatchItem(row: CheckedRow, fact: LedgerFact, fields: FieldMismatch[]) {
  return {
    line: row.line,
    type: row.type,
    iapLogId: row.identity.iapLogId,
    refundedAt: row.identity.refundedAt,
    eventId: fact.eventId,
    rawRequestId: fact.rawRequestId,
    userId: fact.fields.userId ?? null,
    productId: fact.fields.productId ?? null,
    fields,
  };
}
