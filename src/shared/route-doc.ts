import { z } from 'zod';

// How a route describes itself for /openapi.json: one entry beside the zod schemas the route
// validates with. src/openapi turns the entries into the document; a test fails for any route
// Express serves that has no entry.

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call: a webhook key, an admin or user JWT (admin also by the inspector's cookie), the metrics token, anyone. */
export type RouteAuth = 'webhookKey' | 'admin' | 'user' | 'metrics' | 'none';

export interface ResponseDoc {
  description: string;
  /** The JSON body; omitted for answers without a body or with another content type. */
  schema?: z.ZodType;
  /** Defaults to application/json when there is a schema. */
  contentType?: string;
  /** Other content types the same answer may come as (CSV beside JSON, HTML for browsers), without a schema. */
  alternatives?: string[];
}

export interface RouteDoc {
  method: HttpMethod;
  /** The Express path, e.g. /api/events/:eventId. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  /** Path parameters beyond plain strings (every :name is documented even without this). */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The request body's content type when it is not JSON. */
  bodyContentType?: string;
  /** By status; `default` for answers a user configures (a bin's). */
  responses: { [status: number]: ResponseDoc; default?: ResponseDoc };
}

/** The error body every failure shares. */
export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** An ISO-8601 time, as every answer writes times. */
export const isoTime = z.iso.datetime();

export const problem = (description: string): ResponseDoc => ({ description, schema: errorBody });

/** The failures every admin route shares. */
export const adminErrors: Record<number, ResponseDoc> = {
  401: problem('no token or session, or one that is malformed, expired or signed out'),
  403: problem('a token of another role, or a state-changing request carried by the session cookie from another origin'),
};

/** The entry builder of a capability whose routes all sit under /api behind the admin JWT, in one tag. */
export function adminApiDocs(tag: string) {
  return (method: HttpMethod, path: string, summary: string, rest: Pick<RouteDoc, 'responses'> & Partial<RouteDoc>): RouteDoc => ({
    method,
    path: `/api${path}`,
    tag,
    summary,
    auth: 'admin',
    ...rest,
  });
}
