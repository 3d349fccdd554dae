import { z } from 'zod';
import { buildDocument, toOpenApiPath } from '../../src/openapi/document';
import type { RouteDoc } from '../../src/shared/route-doc';

describe('toOpenApiPath', () => {
  it.each([
    ['/api/events', '/api/events'],
    ['/api/events/:eventId', '/api/events/{eventId}'],
    ['/api/projects/:projectId/webhooks/:webhookId/deliveries', '/api/projects/{projectId}/webhooks/{webhookId}/deliveries'],
    ['/bins/:binId{/*rest}', '/bins/{binId}'],
    ['/webhooks/{*rest}', '/webhooks/{rest}'],
  ])('when the Express path is %s, then the OpenAPI path is %s', (express, openapi) => {
    expect(toOpenApiPath(express)).toBe(openapi);
  });
});

describe('buildDocument', () => {
  const route = (overrides: Partial<RouteDoc> = {}): RouteDoc => ({
    method: 'post',
    path: '/api/things/:thingId',
    tag: 'Things',
    summary: 'a thing',
    auth: 'admin',
    query: z.object({ limit: z.coerce.number().default(5) }),
    body: z.object({ name: z.string(), size: z.number().default(1) }),
    responses: { 200: { description: 'ok', schema: z.object({ at: z.iso.datetime() }) } },
    ...overrides,
  });

  it('when a route is documented, then its parameters, body (as sent) and answer (as written) are in the document', () => {
    const doc = buildDocument([route()], { title: 't', version: '1', description: 'd' }) as any;
    const op = doc.paths['/api/things/{thingId}'].post;
    expect(doc.openapi).toBe('3.1.0');
    expect(op.parameters).toEqual([
      { name: 'thingId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'limit', in: 'query', required: false, schema: { type: 'number', default: 5 } },
    ]);
    expect(op.requestBody.content['application/json'].schema.required).toEqual(['name']);
    expect(op.responses['200'].content['application/json'].schema).toMatchObject({ properties: { at: { format: 'date-time' } }, additionalProperties: false });
    expect(op.security).toEqual([{ adminToken: [] }, { adminSession: [] }]);
  });

  it('when two entries name the same method and path, then building throws naming them', () => {
    expect(() => buildDocument([route(), route()], { title: 't', version: '1', description: 'd' })).toThrow(
      'two OpenAPI entries for POST /api/things/:thingId',
    );
  });
});
