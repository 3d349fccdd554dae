import { request } from 'undici';
import purchaseFixture from '../fixtures/nachocode/purchase.ios.json';
import { E2E_WEBHOOK_KEY } from './server';

export const PURCHASE_PATH = '/webhooks/nachocode/purchase';

/** A distinct purchase: its own iapLogId and store transaction id. */
export function purchase(iapLogId: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const transactionId = String(4_000_000_000_000_000 + iapLogId);
  return { ...purchaseFixture, iapLogId, userId: `user-${iapLogId % 50}`, data: { originalTransactionId: transactionId, transactionId }, ...overrides };
}

export interface Posted {
  status: number;
  /** The parsed JSON answer, or the text when it is not JSON. */
  body: unknown;
  /** Time to the full answer (for figures printed by tests; never asserted). */
  ms: number;
}

/** One POST of a JSON body (or raw text) with the e2e webhook key unless headers say otherwise. */
export async function postWebhook(
  baseUrl: string,
  body: unknown,
  options: { path?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Posted> {
  const started = performance.now();
  const res = await request(`${baseUrl}${options.path ?? PURCHASE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${E2E_WEBHOOK_KEY}`, ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headersTimeout: options.timeoutMs ?? 15_000,
    bodyTimeout: options.timeoutMs ?? 15_000,
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, body: parsed, ms: performance.now() - started };
}
