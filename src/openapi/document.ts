import { z } from 'zod';
import type { HttpMethod, RouteAuth, RouteDoc } from '../shared/route-doc';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

type JsonSchema = Record<string, unknown>;

/** /api/events/:eventId → /api/events/{eventId}; an optional tail ({/*rest}) is dropped, a wildcard (/{*rest}) named. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath
    .replace(/\{\/\*\w+\}/g, '')
    .replace(/\{\*(\w+)\}/g, '{$1}')
    .replace(/:(\w+)/g, '{$1}');
}

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect). Requests are described as the
 * client sends them (before defaults and transforms), answers as the server writes them.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  return rest;
}

const SECURITY: Record<RouteAuth, Array<Record<string, string[]>>> = {
  webhookKey: [{ webhookKey: [] }],
  admin: [{ adminToken: [] }, { adminSession: [] }],
  user: [{ userToken: [] }],
  metrics: [{}, { metricsToken: [] }],
  none: [],
};

function parameters(route: RouteDoc): JsonSchema[] {
  const params = route.params === undefined ? {} : (jsonSchema(route.params, 'input').properties as Record<string, JsonSchema>);
  const names = [...toOpenApiPath(route.path).matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const inPath = names.map((name) => ({ name, in: 'path', required: true, schema: params[name] ?? { type: 'string' } }));
  if (route.query === undefined) return inPath;
  const query = jsonSchema(route.query, 'input');
  const required = new Set((query.required as string[] | undefined) ?? []);
  const inQuery = Object.entries((query.properties as Record<string, JsonSchema>) ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema,
  }));
  return [...inPath, ...inQuery];
}

function operation(route: RouteDoc): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const contentType = answer.contentType ?? (answer.schema === undefined ? undefined : 'application/json');
    const content: Record<string, JsonSchema> = {};
    if (contentType !== undefined) content[contentType] = { schema: answer.schema === undefined ? {} : jsonSchema(answer.schema, 'output') };
    for (const other of answer.alternatives ?? []) content[other] = { schema: {} };
    responses[status] = { description: answer.description, ...(Object.keys(content).length === 0 ? {} : { content }) };
  }
  const body =
    route.body === undefined
      ? {}
      : { requestBody: { required: true, content: { [route.bodyContentType ?? 'application/json']: { schema: jsonSchema(route.body, 'input') } } } };
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    operationId: `${route.method}${toOpenApiPath(route.path)
      .replace(/[{}]/g, '')
      .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: SECURITY[route.auth],
    parameters: parameters(route),
    ...body,
    responses,
  };
}

/** The OpenAPI 3.1 document for the given routes. Two entries for one method and path are a mistake, and throw. */
export function buildDocument(routes: readonly RouteDoc[], info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Partial<Record<HttpMethod, JsonSchema>>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const item = (paths[path] ??= {});
    if (item[route.method] !== undefined) throw new Error(`two OpenAPI entries for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        webhookKey: { type: 'http', scheme: 'bearer', description: 'One of NACHOCODE_WEBHOOK_KEYS.' },
        adminToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An admin JWT: npm run token -- --role admin.' },
        adminSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'iaphook_admin',
          description: 'The inspector session; changes also need X-Iaphook-Csrf: 1 from the same origin.',
        },
        userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user JWT whose sub is the user id.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when it is set.' },
      },
    },
  };
}
