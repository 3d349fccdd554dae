import { createMetrics, sharedWhileRunning } from '../../src/metrics';

describe('sharedWhileRunning', () => {
  it('when calls come while a read is under way, then they share it; a call after it settles reads again', async () => {
    let reads = 0;
    let finish: (n: number) => void = () => undefined;
    const shared = sharedWhileRunning(() => (reads++, new Promise<number>((resolve) => (finish = resolve))));
    const [a, b] = [shared(), shared()];
    expect(reads).toBe(1);
    finish(7);
    await expect(Promise.all([a, b])).resolves.toEqual([7, 7]);
    void shared();
    expect(reads).toBe(2);
  });

  it('when a shared read fails, then every caller sees the failure and the next call reads again', async () => {
    let reads = 0;
    const shared = sharedWhileRunning(() => (reads++, Promise.reject(new Error('locked'))));
    await expect(Promise.all([shared(), shared()])).rejects.toThrow('locked');
    await expect(shared()).rejects.toThrow('locked');
    expect(reads).toBe(2);
  });
});

describe('createMetrics', () => {
  it('when the registry is scraped, then the queue is read once for all its gauges', async () => {
    let reads = 0;
    const metrics = createMetrics(async () => (reads++, [{ kind: 'apply', state: 'dead', count: 2, oldestAgeMs: 5, dueLagMs: 0 }]), { defaultMetrics: false });
    const text = await metrics.registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('iaphook_jobs_dead{kind="apply"} 2');
    await metrics.registry.metrics();
    expect(reads).toBe(2);
  });
});
