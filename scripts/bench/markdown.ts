import { mb } from './memory';
import { evaluateTargets, markdownTable, summarizeCpu, summarizeIngest, type BenchResults, type CpuSummary } from './report';

const us = (n: number) => Math.round(n).toLocaleString('en');

/** Where each request's CPU goes, and what that means for the throughput ratio on this machine. */
function cpuSection(cpu: CpuSummary | null, cores: number): string[] {
  if (cpu === null) return ['CPU per request: not measured (/proc not readable).'];
  const row = (name: string, c: CpuSummary['bare']) => [name, us(c.mainUs), us(c.otherUs), us(c.loadUs), us(c.totalUs), us(c.ceilingRps)];
  return [
    `CPU per request (medians of the rounds, µs; read from /proc for every thread of each process):`,
    '',
    markdownTable(
      ['', 'main thread', 'other threads', 'load generator', 'total', `ceiling on ${cores} cores, req/s`],
      [row('bare Express', cpu.bare), row('iaphook', cpu.server)],
    ),
    '',
    `"Other threads" are, for iaphook, the database thread (durable ingest, ledger applies), the WAL checkpointer and V8's garbage-collector and compiler threads; for bare Express only the latter. ` +
      `The ceiling is the cores' time divided by one request's total cost. For iaphook to reach 0.8 × bare Express here, one request, ` +
      `load generator included, would have to cost at most ${us(cpu.budgetUsAtTarget)} µs; it costs ${us(cpu.server.totalUs)} µs, ` +
      `and its other threads alone cost ${us(cpu.server.otherUs)} µs against bare Express's ${us(cpu.bare.otherUs)} µs: storing and applying each event durably, which bare Express does not do.`,
  ];
}

const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

/** docs/BENCHMARKS.md: the machine, every target with its measured figure, then the detail. */
export function benchmarksMarkdown(results: BenchResults): string {
  const { machine: m, memory, outbound } = results;
  const s = summarizeIngest(results.ingest);
  const targets = evaluateTargets(results);
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (scripts/bench.ts) on ${m.date}, in ${Math.round(results.totalSeconds)} s. Do not edit by hand; run the bench again.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM; Node ${m.node}; ${m.platform}. The load generator ran on the same cores.`,
    '',
    '## Targets',
    '',
    markdownTable(
      ['target', 'goal', 'measured', ''],
      targets.map((t) => [t.name, t.goal, t.measured, verdict(t.met)]),
    ),
    '',
    'Throughput figures are ratios against a baseline measured in the same run, alternated with it, because absolute figures on a shared machine say little.',
    '',
    '## Ingest',
    '',
    `autocannon, ${results.settings.connections} connections, distinct purchases (~${results.settings.bodyBytes}-byte bodies) with a valid key, ${results.settings.durationSec} s per run, ` +
      `against the real server (\`node dist/src/main.js\`, ${results.settings.serverConfig}) and a bare Express 5 endpoint doing the same JSON parsing (its own process), alternated.`,
    '',
    markdownTable(
      ['round', 'bare Express req/s', 'p50 / p99 ms', 'iaphook req/s', 'p50 / p99 ms', 'ratio', 'non-2xx', 'lag p50 / p99 ms', 'drain ms'],
      results.ingest.map((r, i) => [
        i + 1,
        Math.round(r.bare.rps),
        `${r.bare.p50} / ${r.bare.p99}`,
        Math.round(r.server.rps),
        `${r.server.p50} / ${r.server.p99}`,
        (r.server.rps / r.bare.rps).toFixed(2),
        r.server.non2xx + r.server.errors,
        `${r.lag.p50} / ${r.lag.p99}`,
        r.lag.drainMs,
      ]),
    ),
    '',
    `Medians: iaphook ${Math.round(s.serverRps)} req/s against ${Math.round(s.bareRps)} req/s, ratio **${s.ratio.toFixed(2)}** (median of the rounds' ratios), p99 ${s.serverP99} ms against ${s.bareP99} ms. ` +
      'Every 200 was sent after its raw request, event and job had committed with `synchronous=FULL`.',
    '',
    `Processing lag (the 200 reaching the client → the event \`applied\`, every acknowledged event of every round): p50 ${s.lagP50} ms, p99 ${s.lagP99} ms. ` +
      `Longest time for the backlog to drain after a run: ${s.drainMs} ms.`,
    '',
    ...cpuSection(summarizeCpu(results.ingest, m.cores), m.cores),
    '',
    '## Outbound',
    '',
    outbound === null
      ? `Not measured: ${results.outboundSkipped ?? 'skipped'}.`
      : [
          `${outbound.perRound.toLocaleString('en')} deliveries per round from the delivery core (the real runtime: outbox, claim with a lease, HTTP attempt, attempt log committed durably) ` +
            `to a local keep-alive sink (its own process), against a plain undici \`Pool\` loop posting the same body, ${results.settings.outboundInFlight} in flight, alternated.`,
          '',
          markdownTable(
            ['round', 'delivery core /s', 'undici pool /s', 'ratio'],
            outbound.rounds.map((r, i) => [i + 1, Math.round(r.core), Math.round(r.undici), (r.core / r.undici).toFixed(2)]),
          ),
          '',
          `Global \`fetch\`, ${results.settings.outboundInFlight} in flight: ${Math.round(outbound.fetchPerSec)} posts/s. ` +
            `Attempts logged: ${outbound.attemptsLogged.toLocaleString('en')} for ${outbound.deliveries.toLocaleString('en')} deliveries.`,
        ].join('\n'),
    '',
    '## Memory and size',
    '',
    `The same server process, topped up to ${memory.events.toLocaleString('en')} events in three runs: RSS after each run ${memory.rssAfterRuns.map(mb).join(' → ')} MB, ` +
      `peak RSS ${mb(memory.peakRssBytes)} MB. Database ${mb(memory.databaseBytes)} MB including a ${mb(memory.walBytes)} MB WAL, ${Math.round(memory.databaseBytesPerEvent).toLocaleString('en')} bytes per event ` +
      '(raw request with headers and body, event, job, attempt log, purchase, ledger entry).',
    '',
  ];
  return `${parts.join('\n')}\n`;
}
