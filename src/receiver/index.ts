export { eventsRouter, eventView, parseQuery } from './events-routes';
export { EVENT_COLUMNS, getEvent, heldForOf, type EventRow, type HeldFor } from './events-repository';
export { StorageIngestStore } from './ingest-repository';
export { createReceiver, parseJsonBody, headerValue, type ReceiverDeps } from './receive';
export { pruneRejected, type RetentionPolicy } from './retention';
export { receiverRouter, ROUTES as WEBHOOK_ROUTES, toInbound, type Receive } from './routes';
export type * from './types';
export { createKeyChecker, keyFingerprint } from './webhook-keys';
export { AddressQuota, type UnverifiedBounds } from './unverified';
