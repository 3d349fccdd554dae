import { openApiDocument, toOpenApiPath } from '../../src/openapi';
import { registeredRoutes, undocumentedRoutes } from '../support/openapi';
import { startRuntime, type TestRuntime } from '../support/runtime';

// Every route the real app serves is in /openapi.json, and the document describes nothing it does not serve.

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt.stop());

describe('the OpenAPI document against the registered routes', () => {
  it('when the app is built as main.ts builds it, then every registered route has an operation in the document', () => {
    const routes = registeredRoutes(rt.app as unknown as Parameters<typeof registeredRoutes>[0]);
    // The walk found the routers mounted under /api and /v1, not only the top-level ones.
    expect(routes).toEqual(
      expect.arrayContaining(['GET /api/events/:eventId', 'GET /v1/me/entitlements', 'POST /webhooks/nachocode/purchase', 'ALL /bins/:binId{/*rest}']),
    );
    expect(undocumentedRoutes(openApiDocument(), routes)).toEqual([]);
  });

  it('when the document lists an operation, then the app serves that method and path', () => {
    const served = new Set(registeredRoutes(rt.app as unknown as Parameters<typeof registeredRoutes>[0]).map((r) => r.split(' ')[1]));
    const servedPaths = new Set([...served].map(toOpenApiPath));
    const documented = Object.keys((openApiDocument() as { paths: Record<string, unknown> }).paths);
    expect(documented.filter((path) => !servedPaths.has(path))).toEqual([]);
  });

  it('when served, then GET /openapi.json is an OpenAPI 3.1 document without authentication', async () => {
    const res = await rt.http.get('/openapi.json').expect(200);
    expect(res.body).toMatchObject({ openapi: '3.1.0', info: { title: 'iaphook' } });
    expect(res.body.paths['/api/events/{eventId}'].get.parameters).toEqual([expect.objectContaining({ name: 'eventId', in: 'path', required: true })]);
    expect(res.body.paths['/api/projects/{projectId}/webhooks'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('url');
  });

  it('when GET / is asked by a tool or a browser, then it points to the inspector, the document and the README', async () => {
    const json = await rt.http.get('/').set('Accept', 'application/json').expect(200);
    expect(json.body).toEqual({ name: 'iaphook', links: expect.objectContaining({ inspector: '/inspector', openapi: '/openapi.json', readme: '/README.md' }) });
    expect((await rt.http.get('/').expect(200)).body.links.inspector).toBe('/inspector');
    const html = await rt.http.get('/').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').expect(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toContain('href="/inspector"');
    expect(html.text).toContain('href="/openapi.json"');
    const readme = await rt.http.get('/README.md').expect(200);
    expect(readme.text).toContain('# iaphook');
  });
});
