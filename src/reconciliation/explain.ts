import { formatAge } from './range';
import type { AnomalySubject } from '../ledger/types';
import type { Evidence, ReportAnomaly, ReportAnomalyCode } from './types';

/** One finding, recorded at apply time or found at report time, before it is explained. */
export interface Finding extends AnomalySubject {
  id: string;
  code: ReportAnomalyCode;
  at: number;
  /** Near-identical findings collapsed into this one (1 when absent), the first of them at firstSeen. */
  count?: number;
  firstSeen?: number;
  acknowledgement?: { by: string; reason: string; at: number } | null;
}

type Details = Record<string, unknown>;
const text = (v: unknown, fallback = '?'): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const list = (v: unknown): Details[] => (Array.isArray(v) ? v.filter((x): x is Details => x !== null && typeof x === 'object') : []);
const units = (n: number | null) => (n === 1 ? '1 unit' : `${n ?? '?'} units`);

const REASON_HINTS: Record<string, string> = {
  unauthorized: 'a missing, wrong or rotated webhook key',
  validation_failed: 'a body that failed validation',
  shape_mismatch: 'a body sent to the wrong route',
  invalid_json: 'a body that is not JSON',
  unsupported_media_type: 'a Content-Type other than JSON',
  payload_too_large: 'a body over BODY_LIMIT',
  not_found: 'an unknown webhook path',
};

// Written for the developer reading the page: what happened, why it matters, what to do.
const EXPLAIN: Record<ReportAnomalyCode, (f: Finding, d: Details, now: number) => string> = {
  orphan_refund: (f, d, now) =>
    `A refund of ${units(num(d.refundQuantity))} of ${text(f.productId)} (iapLogId ${text(d.iapLogId)}) arrived ${formatAge(now - f.at)} ago, ` +
    'but its purchase never did, so nothing was revoked. Resend the purchase from the nachocode dashboard, or import it with npm run reconcile -- --ingest.',
  over_refund: (f, d) => {
    const left = (num(d.purchased) ?? 0) - (num(d.previouslyRefunded) ?? 0);
    const excess = (num(d.requested) ?? 0) - (num(d.applied) ?? 0);
    return (
      `A refund of iapLogId ${text(d.iapLogId)} asked for ${units(num(d.requested))}, but only ${units(Math.max(0, left))} of the ` +
      `${units(num(d.purchased))} bought remained, so ${units(excess)} ${excess === 1 ? 'was' : 'were'} not revoked. The store refunded more than was bought.`
    );
  },
  conflicting_duplicate: (_f, d) =>
    `A request with the same identity (${text(d.dedupeKey)}) but different content arrived after the first one. The first was kept and ` +
    'the later one was answered 409: compare the two requests to see which is right.',
  negative_balance: (f, d) =>
    `${text(f.userId)} spent units of ${text(f.productId)} that were then refunded: the balance is ${text(d.balance)} ` +
    `(bought ${text(d.purchased)}, refunded ${text(d.refunded)}, consumed ${text(d.consumed)}). The user used what the store paid back.`,
  duplicate_transaction_id: (_f, d) => {
    const others = list(d.seenUnder).map((p) => text(p.iapLogId));
    return (
      `Store transaction ${text(d.transactionId)} arrived under iapLogId ${text(d.iapLogId)} and also under ${others.join(', ') || 'another iapLogId'}: ` +
      'one store purchase was reported, and granted, more than once.'
    );
  },
  rejected_request: (f, d, now) => {
    const hint = REASON_HINTS[text(d.reason, '')] ?? 'a request we could not accept';
    const count = f.count ?? 1;
    const what =
      count === 1
        ? `A ${text(d.method, 'POST')} to ${text(d.path)} was stored but answered`
        : `${count} near-identical ${text(d.method, 'POST')}s to ${text(d.path)} (the first ${formatAge(now - (f.firstSeen ?? f.at))} ago) were stored but answered`;
    const event = typeof d.dedupeKey === 'string' ? ` Its body names ${d.dedupeKey}, which is not in the ledger.` : '';
    return (
      `${what} ${text(d.status)} (${text(d.reason)}), most likely ${hint}.${event} ` +
      'If it was a real purchase or refund it is missing from the ledger: fix the cause, then replay it from the inspector ' +
      '(or resend it from the nachocode dashboard): once the event is stored, this goes away by itself.'
    );
  },
  stuck_event: (f, d, now) =>
    `A ${text(d.type)} event was accepted ${formatAge(now - f.at)} ago and is still ${text(d.status)}` +
    `${typeof d.error === 'string' ? ` (last error: ${d.error})` : ''}. Its processing job is waiting, retrying or dead.`,
  environment_mismatch: (_f, d) => {
    const seen = [...new Set(list(d.seenIn).map((p) => text(p.environment)))];
    return (
      `Store transaction ${text(d.transactionId)} (iapLogId ${text(d.iapLogId)}) arrived in ${text(d.environment)} and was already seen in ` +
      `${seen.join(', ') || 'the other environment'}: a sandbox receipt in production, or the reverse.`
    );
  },
  unknown_value: (_f, d) => {
    const values = list(d.unknownValues).map((v) => `${text(v.field)} ${JSON.stringify(text(v.value))}`);
    return (
      `A ${text(d.type)} (iapLogId ${text(d.iapLogId)}) carries ${values.join(', ') || 'a value'}, which iaphook does not know, so it is stored ` +
      'and held instead of applied. Once you know what it means, map it (PUT /api/value-mappings/<field>/<value>) or, after an upgrade, ' +
      'apply the event again (POST /api/events/<eventId>/apply); held events then apply in the order they arrived.'
    );
  },
  refund_mismatch: (_f, d) => {
    const refund = (d.refund ?? {}) as Details;
    const purchase = (d.purchase ?? {}) as Details;
    return (
      `A refund of iapLogId ${text(d.iapLogId)} names ${text(refund.userId)} / ${text(refund.productId)}, but the purchase was ` +
      `${text(purchase.userId)} / ${text(purchase.productId)}; the purchase's user and product were revoked.`
    );
  },
};

/** Every event and raw request a finding points at, its own first, each once. */
export function evidenceOf(finding: Finding): Evidence {
  const d = finding.details;
  const eventIds = [finding.eventId, d.purchaseEventId, d.storedEventId, ...list(d.seenUnder).map((p) => p.eventId), ...list(d.seenIn).map((p) => p.eventId)];
  const examples = Array.isArray(d.exampleRequestIds) ? (d.exampleRequestIds as unknown[]) : [];
  const rawRequestIds = [finding.rawRequestId, d.conflictingRequestId, ...examples];
  const strings = (values: unknown[]) => [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
  return { eventIds: strings(eventIds), rawRequestIds: strings(rawRequestIds), details: d };
}

export function explainFinding(finding: Finding, now: number): ReportAnomaly {
  const iso = (ms: number) => new Date(ms).toISOString();
  const ack = finding.acknowledgement ?? null;
  return {
    id: finding.id,
    code: finding.code,
    explanation: EXPLAIN[finding.code](finding, finding.details, now),
    environment: finding.environment,
    userId: finding.userId,
    productId: finding.productId,
    at: iso(finding.at),
    count: finding.count ?? 1,
    firstSeen: iso(finding.firstSeen ?? finding.at),
    lastSeen: iso(finding.at),
    evidence: evidenceOf(finding),
    acknowledgement: ack === null ? null : { by: ack.by, reason: ack.reason, at: iso(ack.at) },
  };
}
