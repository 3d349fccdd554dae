import type { RouteDoc } from '../shared/route-doc';

export const receiverRouteDocs: RouteDoc[] = [];
