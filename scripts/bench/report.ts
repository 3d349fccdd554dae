import type { IngestRound } from './ingest';
import type { MemoryResult } from './memory';
import type { OutboundResult } from './outbound';
import { median, quantile } from './stats';
import type { Machine } from './system';

export interface BenchResults {
  machine: Machine;
  settings: Record<string, string | number>;
  ingest: IngestRound[];
  memory: MemoryResult;
  /** null when the outbound section could not run (reason in outboundSkipped). */
  outbound: OutboundResult | null;
  outboundSkipped?: string;
  totalSeconds: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** null: not measured. */
  met: boolean | null;
}

export interface IngestSummary {
  bareRps: number;
  serverRps: number;
  ratio: number;
  bareP99: number;
  serverP99: number;
  lagP50: number;
  lagP99: number;
  drainMs: number;
}

export function summarizeIngest(rounds: IngestRound[]): IngestSummary {
  const lags = rounds.flatMap((r) => r.lag.samples);
  const bareRps = median(rounds.map((r) => r.bare.rps));
  const serverRps = median(rounds.map((r) => r.server.rps));
  return {
    bareRps,
    serverRps,
    // Each round's pair ran back to back; the median of their ratios is steadier than a ratio of
    // medians taken from different rounds when the machine's speed drifts.
    ratio: median(rounds.map((r) => r.server.rps / r.bare.rps)),
    bareP99: median(rounds.map((r) => r.bare.p99)),
    serverP99: median(rounds.map((r) => r.server.p99)),
    lagP50: quantile(lags, 0.5),
    lagP99: quantile(lags, 0.99),
    drainMs: Math.max(...rounds.map((r) => r.lag.drainMs)),
  };
}

export interface CpuSide {
  mainUs: number;
  otherUs: number;
  loadUs: number;
  /** All three: what one request costs the machine. */
  totalUs: number;
  /** Requests per second the machine's cores could carry at that cost, if nothing else ran. */
  ceilingRps: number;
}

export interface CpuSummary {
  bare: CpuSide;
  server: CpuSide;
  /** The most one request may cost, load generator included, for iaphook to reach 0.8 × bare. */
  budgetUsAtTarget: number;
}

/**
 * CPU per request, medians over the rounds. On a machine where the load generator shares the
 * cores, throughput is bounded by what a request costs all threads together: this is what says
 * how far a ratio can go, not the ratio itself. null when /proc was not readable.
 */
export function summarizeCpu(rounds: Array<Pick<IngestRound, 'bare' | 'server'>>, cores: number): CpuSummary | null {
  const sides = rounds.map((r) => [r.bare.cpu, r.server.cpu]);
  if (sides.length === 0 || sides.some(([b, s]) => b === null || s === null)) return null;
  const side = (pick: (r: Pick<IngestRound, 'bare' | 'server'>) => NonNullable<IngestRound['bare']['cpu']>): CpuSide => {
    const mainUs = median(rounds.map((r) => pick(r).mainUs));
    const otherUs = median(rounds.map((r) => pick(r).otherUs));
    const loadUs = median(rounds.map((r) => pick(r).loadUs));
    const totalUs = mainUs + otherUs + loadUs;
    return { mainUs, otherUs, loadUs, totalUs, ceilingRps: (cores * 1e6) / totalUs };
  };
  const bare = side((r) => r.bare.cpu!);
  const server = side((r) => r.server.cpu!);
  const bareRps = median(rounds.map((r) => r.bare.rps));
  return { bare, server, budgetUsAtTarget: (cores * 1e6) / (0.8 * bareRps) };
}

const MB = 2 ** 20;
const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** The targets, each with its measured figure. Pure: the unit of the report. */
export function evaluateTargets(results: BenchResults): Target[] {
  const s = summarizeIngest(results.ingest);
  const { memory, outbound } = results;
  const firstRss = memory.rssAfterRuns[0];
  const lastRss = memory.rssAfterRuns[memory.rssAfterRuns.length - 1];
  const growth = lastRss / firstRss - 1;
  const targets: Target[] = [
    {
      name: 'ingest throughput',
      goal: '≥ 0.8 × bare Express',
      measured: `${fixed(s.ratio)} (median of rounds; ${Math.round(s.serverRps)} vs ${Math.round(s.bareRps)} req/s)`,
      met: s.ratio >= 0.8,
    },
    { name: 'ingest p99 latency', goal: '≤ 2 × bare Express p99', measured: `${s.serverP99} ms vs ${s.bareP99} ms (${fixed(s.serverP99 / s.bareP99)}×)`, met: s.serverP99 <= 2 * s.bareP99 },
    { name: 'processing lag p99', goal: '< 250 ms while ingesting at full speed', measured: `${s.lagP99} ms (p50 ${s.lagP50} ms)`, met: s.lagP99 < 250 },
    { name: 'peak RSS', goal: `< 200 MB after ${memory.events.toLocaleString('en')} events`, measured: `${Math.round(memory.peakRssBytes / MB)} MB`, met: memory.peakRssBytes < 200 * MB },
    {
      name: 'no memory growth',
      goal: 'RSS after run 3 within 10 % of run 1',
      measured: `${memory.rssAfterRuns.map((b) => Math.round(b / MB)).join(' → ')} MB (${growth >= 0 ? '+' : ''}${fixed(growth * 100, 1)} %)`,
      met: growth <= 0.1,
    },
  ];
  if (outbound === null) {
    const reason = results.outboundSkipped ?? 'not run';
    targets.push({ name: 'outbound throughput', goal: '≥ 0.5 × plain undici loop', measured: reason, met: null });
    targets.push({ name: 'outbound vs fetch', goal: '≥ 3 × a fetch-based sender', measured: reason, met: null });
  } else {
    const ratio = outbound.deliveriesPerSec / outbound.undiciPerSec;
    const versusFetch = outbound.deliveriesPerSec / outbound.fetchPerSec;
    targets.push({
      name: 'outbound throughput',
      goal: '≥ 0.5 × plain undici loop, every attempt durable',
      measured: `${fixed(ratio)} (${Math.round(outbound.deliveriesPerSec)} vs ${Math.round(outbound.undiciPerSec)} posts/s)`,
      met: ratio >= 0.5,
    });
    targets.push({
      name: 'outbound vs fetch',
      goal: '≥ 3 × a fetch-based sender',
      measured: `${fixed(versusFetch, 1)}× (fetch ${Math.round(outbound.fetchPerSec)} posts/s)`,
      met: versusFetch >= 3,
    });
  }
  return targets;
}

const verdict = (met: boolean | null) => (met === null ? '—' : met ? 'met' : 'missed');

/** The table printed at the end of the run. */
export function consoleTable(targets: Target[]): string {
  const rows = [['target', 'goal', 'measured', ''], ...targets.map((t) => [t.name, t.goal, t.measured, verdict(t.met)])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
}

export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
