import { abcPolicy, policies, type RetryPolicy } from '../delivery';
import type { RetryPolicyName } from './types';

/**
 * For endpoints that may be down for a while (a weekend deploy freeze): 16 retries, delay 5 s
 * tripling to a 12 h cap, equal jitter (each delay between half and all of its nominal value, so
 * retries of many deliveries spread out yet none comes back too soon). Nominal total ≈ 97.7 h;
 * with the jitter the last attempt lands between about 49 h and 98 h, on average ≈ 73 h: the
 * "about three days" of the documentation (see test/unit/outbound-policies.test.ts).
 */
export const outboundExponentialPolicy: RetryPolicy = Object.freeze(
  policies.exponential({ baseMs: 5000, factor: 3, maxDelayMs: 12 * 3600 * 1000, maxAttempts: 17, jitter: 'equal' }),
);

export function policyFor(name: RetryPolicyName): RetryPolicy {
  return name === 'exponential' ? outboundExponentialPolicy : abcPolicy;
}
