import { Agent, request } from 'undici';
import type { LedgerFact, RowIdentity } from './compare';
import type { KeyPage } from './facts';
import type { ImportOutcome, ImportRow } from './ingest';
import type { AnomalyQuery, LedgerSource } from './ledger-source';
import type { ReconciliationReport } from './types';
import type { RangeQuery } from './repository/lookup';

export interface RemoteOptions {
  /** Per request; a lookup of 1,000 keys takes milliseconds, so this only catches a hung server. */
  timeoutMs?: number;
}

/** The answer of a running instance that was not a success, with its JSON error when it sent one. */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** The same LedgerSource over a running instance's admin API (see README, "Reconciliation"). */
export function remoteLedgerSource(baseUrl: string, token: string, options: RemoteOptions = {}): LedgerSource {
  const timeout = options.timeoutMs ?? 60_000;
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const url = new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    const res = await request(url, {
      method,
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // not our JSON error body: keep the start of whatever came back
      }
      throw new RemoteError(res.statusCode, `${method} ${url.pathname} answered ${res.statusCode}: ${message}`);
    }
    return JSON.parse(text) as T;
  };
  return {
    description: baseUrl,
    lookup: async (identities: RowIdentity[]) => {
      const keys = identities.map(({ environment, iapLogId, refundedAt }) => ({ environment, iapLogId, refundedAt }));
      return (await call<{ facts: LedgerFact[] }>('POST', 'api/reconciliation/lookup', { keys })).facts;
    },
    listRange: async (q: RangeQuery) => {
      const params = new URLSearchParams({
        environment: q.environment,
        type: q.type,
        from: new Date(q.from).toISOString(),
        to: new Date(q.to).toISOString(),
        limit: String(q.limit),
      });
      if (q.after !== null) params.set('after', q.after);
      const page = await call<{ data: KeyPage['keys']; nextCursor: string | null }>('GET', `api/reconciliation/events?${params}`);
      return { keys: page.data, nextCursor: page.nextCursor };
    },
    facts: async (eventIds: string[]) => (await call<{ facts: LedgerFact[] }>('POST', 'api/reconciliation/lookup', { eventIds })).facts,
    ingest: async (rows: ImportRow[]) => (await call<{ results: ImportOutcome[] }>('POST', 'api/reconciliation/ingest', { rows })).results,
    report: (q: AnomalyQuery) => {
      const params = new URLSearchParams({
        environment: q.environment,
        limit: String(q.perCodeLimit),
        include: q.includeAcknowledged ? 'acknowledged' : 'open',
      });
      return call<ReconciliationReport>('GET', `api/reconciliation?${params}`);
    },
    close: () => agent.close(),
  };
}
