import { z } from 'zod';
import { problem, type RouteDoc } from '../shared/route-doc';
import { HOME_LINKS } from './ops-routes';

const readiness = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.string()) });

export const opsRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/',
    tag: 'Operations',
    summary: 'Where to go: the inspector, this document, the README (HTML for browsers, JSON otherwise)',
    auth: 'none',
    responses: {
      200: {
        description: 'links; a browser asking for HTML gets them as a page',
        alternatives: ['text/html'],
        schema: z.object({ name: z.literal('iaphook'), links: z.object(Object.fromEntries(Object.keys(HOME_LINKS).map((k) => [k, z.string()]))) }),
      },
    },
  },
  {
    method: 'get',
    path: HOME_LINKS.readme,
    tag: 'Operations',
    summary: 'The README, the user guide',
    auth: 'none',
    responses: { 200: { description: 'Markdown', contentType: 'text/markdown' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Operations',
    summary: 'This document (OpenAPI 3.1)',
    auth: 'none',
    responses: { 200: { description: 'the document', schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'Operations',
    summary: 'The process is up',
    auth: 'none',
    responses: { 200: { description: 'up', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'Operations',
    summary: 'The database accepts writes and the workers run',
    auth: 'none',
    responses: { 200: { description: 'ready', schema: readiness }, 503: { description: 'not ready', schema: readiness } },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description: 'Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>`.',
    auth: 'metrics',
    responses: {
      200: { description: 'the text exposition format', contentType: 'text/plain' },
      401: problem('METRICS_TOKEN is set and the token is missing or wrong'),
    },
  },
];
