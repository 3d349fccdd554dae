import express from 'express';
import { opsRouteDocs } from '../http/ops-docs';
import { feedbackRouteDocs } from '../feedback/openapi';
import { inspectorRouteDocs } from '../inspector/openapi';
import { ledgerRouteDocs } from '../ledger/openapi';
import { outboundRouteDocs } from '../outbound/openapi';
import { receiverRouteDocs } from '../receiver/openapi';
import { reconciliationRouteDocs } from '../reconciliation/openapi';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../shared/project-root';
import type { RouteDoc } from '../shared/route-doc';
import { buildDocument } from './document';

export { buildDocument, toOpenApiPath } from './document';

/** Every documented route: each capability lists its own beside its schemas. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  ...receiverRouteDocs,
  ...ledgerRouteDocs,
  ...reconciliationRouteDocs,
  ...feedbackRouteDocs,
  ...outboundRouteDocs,
  ...inspectorRouteDocs,
  ...opsRouteDocs,
];

function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document of every route, built once from the routes' zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  cached ??= buildDocument(ROUTE_DOCS, {
    title: 'iaphook',
    version: packageVersion(),
    description:
      'Receiver for nachocode in-app-payment webhooks, an entitlement ledger, outbound webhooks (ABC User Feedback events), the inspector and reconciliation. The README is the guide.',
  });
  return cached;
}

/** GET /openapi.json, unauthenticated: it describes the API, it holds no data. */
export function openApiRouter(): express.Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  return router;
}
