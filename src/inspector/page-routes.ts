import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { ADMIN_COOKIE, cookieValue } from '../http/auth';
import { jsonBody } from '../http/json-body';
import { crossOriginProblem, originFacts } from '../http/same-origin';
import type { TokenChecker } from '../http/token-checker';
import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import { projectRoot } from '../shared/project-root';
import { inspectorCsp } from './csp';
import { INSPECTOR_PATH, SIGNIN_PATH } from './paths';

const ASSET_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Plain files beside the code (read once): no front-end build, and the same files run from src/ or dist/. */
function loadAssets(dir: string): Map<string, { type: string; content: Buffer }> {
  const assets = new Map<string, { type: string; content: Buffer }>();
  for (const name of fs.readdirSync(dir)) {
    const type = ASSET_TYPES[path.extname(name)];
    if (type !== undefined) assets.set(name, { type, content: fs.readFileSync(path.join(dir, name)) });
  }
  return assets;
}

export const sessionBody = z.strictObject({ token: z.string().min(1).max(4096) });

/**
 * Sign-in that leads back to the inspector with the same filters (its query). The browser keeps
 * the fragment (#request=, #event=) across this redirect by itself, and the sign-in page carries
 * it on. `next` is always the inspector's own path, so it cannot send anyone elsewhere.
 */
export function signinFor(originalUrl: string): string {
  const search = new URL(originalUrl, 'http://inspector.invalid').search;
  return search === '' ? SIGNIN_PATH : `${SIGNIN_PATH}?next=${encodeURIComponent(INSPECTOR_PATH + search)}`;
}

export interface PageDeps {
  tokens: TokenChecker;
  clock: Clock;
  publicUrl: string | null;
}

/** The inspector page, its sign-in page and the session cookie they use. Mounted outside /api. */
export function inspectorPageRouter(deps: PageDeps): express.Router {
  const router = express.Router();
  const assets = loadAssets(path.join(projectRoot(), 'src', 'inspector', 'public'));
  const serve = (res: Response, name: string) => {
    const asset = assets.get(name);
    if (asset === undefined) throw new AppError('not_found', `no asset ${name}`);
    res.setHeader('Content-Type', asset.type);
    res.setHeader('Cache-Control', 'no-cache');
    res.send(asset.content);
  };
  const signedIn: RequestHandler = async (req, res, next) => {
    const token = cookieValue(req, ADMIN_COOKIE);
    const result = token === null ? null : await deps.tokens.verify(token);
    if (result?.ok === true && result.principal.role === 'admin') return next();
    res.redirect(303, signinFor(req.originalUrl));
  };

  // Signing in and out change the session: only from the sign-in page and the inspector themselves.
  const sameOrigin: RequestHandler = (req, _res, next) => {
    const problem = crossOriginProblem(originFacts(req, deps.publicUrl));
    if (problem !== null) throw new AppError('forbidden', problem);
    next();
  };

  const named = (ext: string) => [...assets.keys()].filter((name) => name.endsWith(ext));
  router.use(INSPECTOR_PATH, inspectorCsp(deps.publicUrl, named('.js'), named('.css')));
  router.get(INSPECTOR_PATH, signedIn, (_req, res) => serve(res, 'inspector.html'));
  router.get(SIGNIN_PATH, (_req, res) => serve(res, 'signin.html'));
  router.get(`${INSPECTOR_PATH}/assets/:name`, (req, res) => serve(res, req.params.name));

  // The token arrives in a JSON body (from a pasted token or the #token= of a sign-in link, which
  // browsers never send to the server), so it never appears in a URL or a request log line.
  router.post(`${INSPECTOR_PATH}/session`, sameOrigin, ...jsonBody('8kb'), async (req, res) => {
    const parsed = sessionBody.safeParse(req.body);
    if (!parsed.success) throw new AppError('bad_request', 'expected {"token": "<admin JWT>"}');
    const result = await deps.tokens.verify(parsed.data.token);
    if (!result.ok) throw new AppError('unauthorized', result.reason);
    if (result.principal.role !== 'admin') throw new AppError('forbidden', 'the inspector needs an admin token');
    res.cookie(ADMIN_COOKIE, parsed.data.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      // The cookie lives as long as the token (at most JWT_MAX_TTL): an expired session is gone from the browser too.
      maxAge: Math.max(0, deps.tokens.expiresAt(parsed.data.token) - deps.clock.now()),
    });
    res.status(204).end();
  });
  // Signing out ends the session on the server too: the token is refused from now on, by cookie
  // or Bearer, so a copy (a sign-in link left in the browser's history) no longer works.
  router.delete(`${INSPECTOR_PATH}/session`, sameOrigin, async (req, res) => {
    const token = cookieValue(req, ADMIN_COOKIE);
    if (token !== null) await deps.tokens.revoke(token);
    res.clearCookie(ADMIN_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });
  return router;
}
