import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { toOpenApiPath } from '../../src/openapi';

// Records real answers of a running server and checks each against the OpenAPI document's
// response schema for its route, method, status and content type.

export interface RecordedAnswer {
  method: string;
  /** The Express route template, e.g. /api/events/:eventId. */
  route: string;
  status: number;
  contentType: string;
  body: unknown;
}

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as `Authorization: Bearer …`. */
  token?: string;
  headers?: Record<string, string>;
}

type OpenApi = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };

export class AnswerRecorder {
  readonly answers: RecordedAnswer[] = [];

  constructor(private readonly baseUrl: string) {}

  async call(method: string, route: string, options: CallOptions = {}): Promise<RecordedAnswer> {
    let path = route.replace(/:(\w+)/g, (_m, name: string) => {
      const value = options.params?.[name];
      if (value === undefined) throw new Error(`no value for :${name} in ${route}`);
      return encodeURIComponent(String(value));
    });
    if (options.query !== undefined) path += `?${new URLSearchParams(options.query).toString()}`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const text = await res.text();
    const body: unknown = contentType === 'application/json' && text !== '' ? JSON.parse(text) : text;
    const answer = { method: method.toLowerCase(), route, status: res.status, contentType, body };
    this.answers.push(answer);
    return answer;
  }
}

/** Every recorded answer the document does not describe, or whose body its schema refuses. */
export function undocumentedAnswers(document: unknown, answers: RecordedAnswer[]): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<object, ValidateFunction>();
  const doc = document as OpenApi;
  const problems: string[] = [];
  for (const answer of answers) {
    const where = `${answer.method.toUpperCase()} ${answer.route} → ${answer.status}`;
    const operation = doc.paths[toOpenApiPath(answer.route)]?.[answer.method];
    const response = operation?.responses[String(answer.status)] ?? operation?.responses.default;
    if (response === undefined) {
      problems.push(`${where}: not in the document`);
      continue;
    }
    if (answer.status === 204 || answer.contentType === '') continue;
    const media = response.content?.[answer.contentType];
    if (media === undefined) {
      problems.push(`${where}: content type ${answer.contentType} not documented`);
      continue;
    }
    if (answer.contentType !== 'application/json') continue;
    let validate = compiled.get(media.schema);
    if (validate === undefined) {
      validate = ajv.compile(media.schema);
      compiled.set(media.schema, validate);
    }
    if (!validate(answer.body)) {
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
      problems.push(`${where}: ${errors.join('; ')}`);
    }
  }
  return problems;
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an Express app serves, as `METHOD /express/path`, found by walking its router
 * stack (mounted routers included). `ALL` stands for router.all().
 */
export function registeredRoutes(app: { router: { stack: Layer[] } }): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        for (const path of [layer.route.path].flat()) {
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on) found.push(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${prefix}${path}`);
        }
      } else if (layer.handle?.stack !== undefined) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk(app.router.stack, '');
  return [...new Set(found)];
}

/** The registered routes the document has no operation for (ALL needs the path with any method). */
export function undocumentedRoutes(document: unknown, routes: string[]): string[] {
  const { paths } = document as OpenApi;
  return routes.filter((route) => {
    const [method, path] = route.split(' ');
    const item = paths[toOpenApiPath(path)];
    if (item === undefined) return true;
    return method === 'ALL' ? Object.keys(item).length === 0 : item[method.toLowerCase()] === undefined;
  });
}
