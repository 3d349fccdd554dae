// nachocode's side of the contract: the payloads it sends (schemas), how a body's shape names its
// event type (classify), the identity of an event that carries no id (dedupe) and validation.
export * from './classify';
export * from './dedupe';
export * from './schemas';
export * from './validate';
