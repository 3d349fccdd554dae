import { matchesFilter } from './filter';
import { isPaused } from './pause';
import { CHANNEL_EVENT_TYPES, type EmitInput, type Webhook } from './types';

/**
 * Whether a subscription gets an event: the subscription is ACTIVE or disabled automatically (its
 * deliveries wait, paused: see pause.ts), its entry for this event type is ACTIVE, the channel is one it listens to (feedback events; none listed means all), and the
 * filter lets the event through. Decided when the event is emitted, so the delivery log only
 * lists events that were meant to be sent.
 */
export function subscriptionMatches(webhook: Pick<Webhook, 'status' | 'events' | 'filter'> & { disabledAt?: number | null }, input: EmitInput): boolean {
  if (webhook.status !== 'ACTIVE' && !isPaused({ status: webhook.status, disabledAt: webhook.disabledAt ?? null })) return false;
  const type = input.envelope.event;
  const entry = webhook.events.find((e) => e.type === type && e.status === 'ACTIVE');
  if (!entry) return false;
  if (CHANNEL_EVENT_TYPES.includes(type) && entry.channelIds.length > 0) {
    if (input.channelId === null || input.channelId === undefined || !entry.channelIds.includes(input.channelId)) return false;
  }
  return matchesFilter(input.envelope, webhook.filter);
}
