import type { IncomingMessage } from 'node:http';
import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { ADMIN_COOKIE, bearer, cookieValue } from '../http/auth';
import { ownOrigins } from '../http/same-origin';
import type { TokenChecker } from '../http/token-checker';
import { SIGNIN_PATH } from '../inspector';
import { parseQuery } from '../http/parse';
import { environmentSchema } from '../nachocode';
import { AppError } from '../shared/errors';
import { renderQueryErrorPage, renderReportPage, renderSignInPage, type PageView } from './page-render';
import { PAGE_CSS } from './page-style';
import { buildReport } from './report';
import { PAGE_SCRIPT, PAGE_SCRIPT_PATH } from './page-script';
import { bound, includeParam, rangeOf, type ReconciliationDeps } from './routes';
import type { ReconciliationReport, TimeRange } from './types';

/**
 * Stricter than helmet's default, as the inspector's: no inline code, same-origin only, and one
 * script, the page's own acknowledge.js by exact URL on each origin the page is served from.
 */
function strictCsp(publicUrl: string | null) {
  const script = (req: IncomingMessage) => {
    const sources = ownOrigins(req as Request, publicUrl).map((origin) => `${origin}${PAGE_SCRIPT_PATH}`);
    return sources.length === 0 ? "'none'" : sources.join(' ');
  };
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: [script],
      styleSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  });
}

// The API's rules (routes.ts), so a bad value gets the API's 400 instead of a silent "all time".
// Empty fields are the page's own form leaving a date blank: no bound.
const pageQuery = z.object({ environment: environmentSchema.default('production'), from: bound('from'), to: bound('to'), include: includeParam });

/**
 * The days the chart spans: the chosen range, with an open end closed at the data's first or last
 * day. The page opens on all time, because an unresolved problem (an orphan refund from last
 * quarter) must not hide behind a default window.
 */
export function chartWindow(report: ReconciliationReport, range: TimeRange, now: number): PageView {
  // A loop, not Math.min(...days): spreading 150,000 days into arguments overflows the stack.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const point of report.daily) {
    const day = Date.parse(`${point.day}T00:00:00Z`);
    if (day < first) first = day;
    if (day > last) last = day;
  }
  if (report.daily.length === 0) first = last = now;
  return { from: range.from ?? Math.min(first, range.to ?? first), to: range.to ?? Math.max(last, range.from ?? last), chosen: range };
}

/** The admin session: the inspector's cookie, or a bearer token for scripted checks. */
async function session(req: Request, tokens: TokenChecker): Promise<{ ok: true } | { ok: false; status: 401 | 403; reason: string }> {
  const token = bearer(req.headers.authorization) ?? cookieValue(req, ADMIN_COOKIE);
  if (token === null) return { ok: false, status: 401, reason: 'You are not signed in.' };
  const result = await tokens.verify(token);
  if (!result.ok) return { ok: false, status: 401, reason: `Your session is no longer valid (${result.reason}).` };
  if (result.principal.role !== 'admin') return { ok: false, status: 403, reason: 'This page needs an admin session.' };
  return { ok: true };
}

function sendHtml(res: Response, status: number, body: string): void {
  // Reports hold user ids and money: never cached by a browser or a proxy.
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(body);
}

/**
 * GET /reconciliation: the report as a server-rendered page (its only script is the acknowledge
 * forms', so a strict CSP holds), with an inline SVG chart and links into the inspector. A bad query value gets the
 * API's 400 and its message, shown on the page: falling back to all time would show a report
 * that was not asked for as if it were.
 */
export function reconciliationPageRouter(deps: ReconciliationDeps & { tokens: TokenChecker; publicUrl: string | null }): express.Router {
  const router = express.Router();
  router.get('/reconciliation/style.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=300' }).send(PAGE_CSS);
  });
  router.get(PAGE_SCRIPT_PATH, (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }).send(PAGE_SCRIPT);
  });
  router.use('/reconciliation', strictCsp(deps.publicUrl));
  router.get('/reconciliation', async (req, res) => {
    const now = deps.clock.now();
    const auth = await session(req, deps.tokens);
    if (!auth.ok) return sendHtml(res, auth.status, renderSignInPage(SIGNIN_PATH, req.originalUrl, auth.reason));
    let q: z.infer<typeof pageQuery>;
    let range: TimeRange;
    try {
      q = parseQuery(pageQuery, Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== '')));
      range = rangeOf(q);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return sendHtml(res, error.status, renderQueryErrorPage(error));
    }
    const includeAcknowledged = q.include === 'acknowledged';
    const report = await buildReport(deps.storage.read, { environment: q.environment, range, settings: deps.settings, now, includeAcknowledged });
    sendHtml(res, 200, renderReportPage(report, chartWindow(report, range, now)));
  });
  return router;
}
