import {
  abcPolicy,
  assertValidPolicy,
  attemptInRound,
  FIXED_RETRY_AFTER_CAP_MS,
  inboundApplyPolicy,
  nextAttempt,
  policies,
  scheduleOf,
  type RetryPolicy,
} from '../../src/delivery';

const NOW = 1_000_000;
const constant = (value: number) => () => value;
const exponential = (jitter: 'full' | 'equal' | 'none'): RetryPolicy =>
  policies.exponential({ baseMs: 1000, factor: 2, maxDelayMs: 5000, maxAttempts: 6, jitter });

describe('nextAttempt with a fixed policy', () => {
  it.each([1, 2, 3])('when attempt %i of 4 fails, then the next runs intervalMs later', (made) => {
    expect(nextAttempt(made, abcPolicy, NOW, constant(0.5))).toEqual({ retry: true, runAt: NOW + 3000 });
  });

  it.each([4, 5])('when attempt %i of 4 fails, then there is no retry', (made) => {
    expect(nextAttempt(made, abcPolicy, NOW, constant(0.5))).toEqual({ retry: false });
  });
});

describe('nextAttempt with an exponential policy', () => {
  it.each`
    jitter     | random   | made | delay
    ${'none'}  | ${0}     | ${1} | ${1000}
    ${'none'}  | ${0.999} | ${2} | ${2000}
    ${'none'}  | ${0.5}   | ${3} | ${4000}
    ${'none'}  | ${0.5}   | ${4} | ${5000}
    ${'none'}  | ${0.5}   | ${5} | ${5000}
    ${'full'}  | ${0}     | ${1} | ${0}
    ${'full'}  | ${0.5}   | ${1} | ${500}
    ${'full'}  | ${0.999} | ${1} | ${999}
    ${'full'}  | ${0.5}   | ${3} | ${2000}
    ${'full'}  | ${0.999} | ${3} | ${3996}
    ${'full'}  | ${0.999} | ${5} | ${4995}
    ${'equal'} | ${0}     | ${1} | ${500}
    ${'equal'} | ${0.5}   | ${1} | ${750}
    ${'equal'} | ${0.999} | ${1} | ${999}
    ${'equal'} | ${0}     | ${4} | ${2500}
    ${'equal'} | ${0.5}   | ${4} | ${3750}
    ${'equal'} | ${0.999} | ${5} | ${4997}
  `('when attempt $made fails with $jitter jitter and random $random, then the next runs $delay ms later', ({ jitter, random, made, delay }) => {
    expect(nextAttempt(made, exponential(jitter), NOW, constant(random))).toEqual({ retry: true, runAt: NOW + delay });
  });

  it.each(['full', 'equal', 'none'] as const)('when the last allowed attempt fails with %s jitter, then there is no retry', (jitter) => {
    expect(nextAttempt(6, exponential(jitter), NOW, constant(0.5))).toEqual({ retry: false });
  });

  it('when the delay would grow past the cap, then it stays at maxDelayMs even far down the schedule', () => {
    const policy = policies.exponential({ baseMs: 1000, factor: 3, maxDelayMs: 60_000, maxAttempts: 100, jitter: 'none' });
    expect(nextAttempt(99, policy, NOW, constant(0))).toEqual({ retry: true, runAt: NOW + 60_000 });
  });
});

describe('nextAttempt with a Retry-After hint', () => {
  it.each`
    policy                 | retryAfterMs          | delay
    ${exponential('full')} | ${1500}               | ${1500}
    ${exponential('full')} | ${30_000}             | ${5000}
    ${exponential('none')} | ${0}                  | ${0}
    ${abcPolicy}           | ${10_000}             | ${10_000}
    ${abcPolicy}           | ${2 * 60 * 60 * 1000} | ${FIXED_RETRY_AFTER_CAP_MS}
  `('when the receiver asks for $retryAfterMs ms, then the next attempt runs $delay ms later', ({ policy, retryAfterMs, delay }) => {
    expect(nextAttempt(1, policy, NOW, constant(0.999), { retryAfterMs })).toEqual({ retry: true, runAt: NOW + delay });
  });

  it.each([-1, Number.NaN, undefined])('when the hint is %p, then the policy delay applies', (retryAfterMs) => {
    expect(nextAttempt(1, abcPolicy, NOW, constant(0), { retryAfterMs })).toEqual({ retry: true, runAt: NOW + 3000 });
  });

  it('when the hint comes on the last attempt, then there is still no retry', () => {
    expect(nextAttempt(4, abcPolicy, NOW, constant(0), { retryAfterMs: 100 })).toEqual({ retry: false });
  });
});

describe('scheduleOf', () => {
  it('when given the ABC policy, then it lists three 3 s retries', () => {
    expect(scheduleOf(abcPolicy, constant(0.5))).toEqual([3000, 3000, 3000]);
  });

  it('when given the inbound policy without jitter, then delays double up to the 5 min cap', () => {
    const policy = { ...inboundApplyPolicy, jitter: 'none' as const, maxAttempts: 12 };
    expect(scheduleOf(policy, constant(0))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]);
  });

  it('when given the inbound policy with full jitter and random 0.999, then each delay is just under its bound', () => {
    expect(scheduleOf(inboundApplyPolicy, constant(0.999))).toEqual([999, 1998, 3996, 7992, 15_984, 31_968, 63_936, 127_872, 255_744]);
  });
});

describe('presets', () => {
  it('when reading the presets, then they match the documented schedules', () => {
    expect(inboundApplyPolicy).toEqual({ type: 'exponential', baseMs: 1000, factor: 2, maxDelayMs: 300_000, maxAttempts: 10, jitter: 'full' });
    expect(abcPolicy).toEqual({ type: 'fixed', intervalMs: 3000, maxAttempts: 4 });
    expect(policies.exponential()).toEqual(inboundApplyPolicy);
  });

  it('when someone tries to change a preset, then it stays as it was', () => {
    expect(Object.isFrozen(abcPolicy)).toBe(true);
    expect(Object.isFrozen(inboundApplyPolicy)).toBe(true);
  });
});

describe('attemptInRound', () => {
  it.each`
    attempt | maxAttempts | expected
    ${1}    | ${4}        | ${1}
    ${4}    | ${4}        | ${4}
    ${5}    | ${8}        | ${1}
    ${6}    | ${8}        | ${2}
  `('when attempt $attempt runs with max_attempts $maxAttempts, then it is attempt $expected of the round', ({ attempt, maxAttempts, expected }) => {
    expect(attemptInRound({ attempt, maxAttempts, policy: abcPolicy })).toBe(expected);
  });
});

describe('assertValidPolicy', () => {
  it.each<[string, RetryPolicy]>([
    ['zero attempts', policies.fixed(1000, 0)],
    ['fractional attempts', policies.fixed(1000, 1.5)],
    ['a negative interval', policies.fixed(-1, 3)],
    ['a shrinking factor', policies.exponential({ factor: 0.5 })],
    ['a negative cap', policies.exponential({ maxDelayMs: -1 })],
    ['an unknown jitter', policies.exponential({ jitter: 'some' as 'full' })],
  ])('when a policy has %s, then it is refused', (_label, policy) => {
    expect(() => assertValidPolicy(policy)).toThrow(RangeError);
  });

  it('when a policy is sound, then it passes', () => {
    expect(() => assertValidPolicy(inboundApplyPolicy)).not.toThrow();
    expect(() => assertValidPolicy(abcPolicy)).not.toThrow();
  });
});
