import type { EventType } from './schemas';

/** The routes nachocode posts to; `auto` is the catch-all that classifies by shape. */
export type ReceiverRoute = 'purchase' | 'refund' | 'unavailable-users' | 'auto';

const routeType: Record<Exclude<ReceiverRoute, 'auto'>, EventType> = {
  purchase: 'purchase',
  refund: 'refund',
  'unavailable-users': 'unavailable_users',
};

export function expectedType(route: ReceiverRoute): EventType | null {
  return route === 'auto' ? null : routeType[route];
}

/**
 * The body carries no event type, so the shape decides: an unavailable-users list has
 * tokenNotFoundUserIds/tokenInvalidUserIds; a refund has refundQuantity and refundedAt
 * (either one is enough to call it a refund, so a refund missing a field fails as a refund);
 * anything else is read as a purchase. Returns null for a body that is not a JSON object.
 */
export function classifyShape(body: unknown): EventType | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(body, key);
  if (has('tokenNotFoundUserIds') || has('tokenInvalidUserIds')) return 'unavailable_users';
  if (has('refundQuantity') || has('refundedAt')) return 'refund';
  return 'purchase';
}
