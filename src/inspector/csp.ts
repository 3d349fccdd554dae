import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { ownOrigins } from '../http/same-origin';
import { INSPECTOR_PATH } from './paths';

/**
 * Exactly the inspector's own files, as absolute URLs on each origin the page is served from
 * ('self' would also let in /bins/<id>, whose answer anyone who knows the URL can make
 * text/javascript). 'none' when no origin is known (a malformed Host and no PUBLIC_URL).
 */
export function assetSources(origins: readonly string[], names: readonly string[]): string {
  const sources = origins.flatMap((origin) => names.map((name) => `${origin}${INSPECTOR_PATH}/assets/${encodeURIComponent(name)}`));
  return sources.length === 0 ? "'none'" : sources.join(' ');
}

/**
 * The page runs and styles itself only with the files iaphook ships, with no inline code, no
 * frames and no third parties. Together with building every element with textContent, a webhook
 * body can show markup but never run it, and nothing a non-admin can make iaphook serve (a bin's
 * answer) can be loaded as a script or a stylesheet.
 */
export function inspectorCsp(publicUrl: string | null, scripts: readonly string[], styles: readonly string[]): RequestHandler {
  const origins = (req: IncomingMessage) => ownOrigins(req as Request, publicUrl);
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: [(req) => assetSources(origins(req), scripts)],
      styleSrc: [(req) => assetSources(origins(req), styles)],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  });
}
