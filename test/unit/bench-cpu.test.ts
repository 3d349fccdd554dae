import { summarizeCpu, summarizeOutboundCpu } from '../../scripts/bench/report';

const round = (bare: [number, number, number], server: [number, number, number], bareRps: number) => ({
  bare: { rps: bareRps, cpu: { mainUs: bare[0], otherUs: bare[1], loadUs: bare[2] } },
  server: { rps: bareRps / 3, cpu: { mainUs: server[0], otherUs: server[1], loadUs: server[2] } },
});

describe('bench CPU summary', () => {
  it('takes the median of each part, adds them up and turns the total into a ceiling for the cores', () => {
    const rounds = [round([150, 40, 60], [250, 450, 70], 6000), round([160, 50, 60], [240, 470, 80], 5000), round([140, 30, 50], [260, 460, 60], 7000)];
    const cpu = summarizeCpu(rounds as never, 2)!;
    expect(cpu.bare).toEqual({ mainUs: 150, otherUs: 40, loadUs: 60, totalUs: 250, ceilingRps: 8000 });
    expect(cpu.server).toMatchObject({ mainUs: 250, otherUs: 460, loadUs: 70, totalUs: 780 });
    expect(cpu.server.ceilingRps).toBeCloseTo(2e6 / 780, 6);
    // The target, 0.6 × the median bare rate (6000 req/s), on 2 cores leaves 2e6 / 3600 µs per request.
    expect(cpu.budgetUsAtTarget).toBeCloseTo(2e6 / 3600, 6);
  });

  it.each([
    ['no rounds', []],
    ['a round without /proc figures', [{ bare: { rps: 1, cpu: null }, server: { rps: 1, cpu: { mainUs: 1, otherUs: 1, loadUs: 1 } } }]],
  ])('when there are %s, then it reports nothing rather than a made-up figure', (_name, rounds) => {
    expect(summarizeCpu(rounds as never, 2)).toBeNull();
  });
});

describe('bench outbound CPU summary', () => {
  it('adds every part of a delivery and of a post, and turns the undici rate into the budget for the target', () => {
    const cpu = summarizeOutboundCpu(
      {
        undiciPerSec: 20_000,
        cpu: { core: { mainUs: 200, otherUs: 30, helperUs: 20, databaseUs: 150 }, undici: { mainUs: 40, otherUs: 5, helperUs: 25, databaseUs: 0 } },
      },
      2,
    )!;
    expect(cpu.core).toMatchObject({ totalUs: 400, ceilingPerSec: 5000 });
    expect(cpu.undici).toMatchObject({ totalUs: 70 });
    // The target, 0.4 × 20,000 posts/s, on 2 cores leaves 2e6 / 8000 µs per delivery.
    expect(cpu.budgetUsAtTarget).toBe(250);
  });

  it('counts no PostgreSQL backends where there are none (SQLite)', () => {
    const cpu = summarizeOutboundCpu(
      { undiciPerSec: 10_000, cpu: { core: { mainUs: 100, otherUs: 0, helperUs: 0 }, undici: { mainUs: 50, otherUs: 0, helperUs: 0 } } },
      2,
    )!;
    expect(cpu.core.totalUs).toBe(100);
    expect(cpu.core.databaseUs).toBeUndefined();
  });

  it.each([
    ['no outbound run', null],
    ['a run without /proc figures', { undiciPerSec: 1, cpu: null }],
  ])('when there is %s, then it reports nothing rather than a made-up figure', (_name, outbound) => {
    expect(summarizeOutboundCpu(outbound, 2)).toBeNull();
  });
});
