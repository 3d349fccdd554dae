import type { Backend } from '../../src/storage';
import type { IngestRound } from './ingest';
import type { MemoryResult } from './memory';
import type { OutboundResult } from './outbound';
import { summarizePair, type PairRound } from './pair';
import type { PostgresServer } from './postgres';
import { INGEST_HEADING, INGEST_TARGET, OUTBOUND_HEADING, OUTBOUND_TARGET, summarizeIngest, summarizePeerIngest, summarizePeerOutbound } from './summary';
import type { ScaleOutcome } from './scale';
import { SCALE_GOAL, scaleTarget } from './scale-report';
import type { Machine } from './system';

export {
  summarizeCpu,
  summarizeOutboundCpu,
  summarizeIngest,
  summarizePeerIngest,
  summarizePeerOutbound,
  type CpuSide,
  type CpuSummary,
  type OutboundCpuSummary,
  type IngestSummary,
  type PeerIngestSummary,
  type PeerOutboundSummary,
} from './summary';

export const LABEL = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

/** Every measurement of one backend. */
export interface BackendResults {
  backend: Backend;
  ingest: IngestRound[];
  memory: MemoryResult;
  /** SQLite: the same memory runs on a server started without --max-old-space-size. */
  memoryNoHeapLimit?: MemoryResult;
  /** null when the outbound section could not run (reason in outboundSkipped). */
  outbound: OutboundResult | null;
  outboundSkipped?: string;
  /** Why a BullMQ peer is missing from its part, or from some of its rounds. */
  peersSkipped?: PeersSkipped;
}

export interface PeersSkipped {
  ingest?: string;
  outbound?: string;
}

export interface BenchResults {
  machine: Machine;
  settings: Record<string, string | number>;
  sqlite: BackendResults;
  /** null when PostgreSQL was not measured (reason in postgresSkipped). */
  postgres: BackendResults | null;
  postgresSkipped?: string;
  /** The PostgreSQL server, when one answered. */
  postgresServer?: PostgresServer;
  /** Two instances against one on one PostgreSQL database; null when not run (reason in pairSkipped). */
  pair: PairRound[] | null;
  pairSkipped?: string;
  /** How cost grows with the database, per backend (or why it was not measured). */
  scale: Record<Backend, ScaleOutcome>;
  totalSeconds: number;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** null: not measured. */
  met: boolean | null;
}

/** One target, measured on each backend. */
export interface TargetRow {
  name: string;
  goal: string;
  sqlite: Pick<Target, 'measured' | 'met'>;
  postgres: Pick<Target, 'measured' | 'met'>;
}

const MB = 2 ** 20;
const OUTBOUND_PEER_GOAL = 'ahead, > 1.0 × its deliveries/s';
const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** The targets on one backend, each with its measured figure. Pure: the unit of the report. */
export function backendTargets(results: BackendResults): Target[] {
  const s = summarizeIngest(results.ingest);
  const { memory, outbound } = results;
  const firstRss = memory.rssAfterRuns[0];
  const lastRss = memory.rssAfterRuns[memory.rssAfterRuns.length - 1];
  const growth = lastRss / firstRss - 1;
  const peer = summarizePeerIngest(results.ingest);
  const targets: Target[] = [
    {
      name: 'ingest throughput',
      goal: `≥ ${INGEST_TARGET} × bare Express (heading for ${INGEST_HEADING})`,
      measured: `${fixed(s.ratio)} (median of rounds; ${Math.round(s.serverRps)} vs ${Math.round(s.bareRps)} req/s)`,
      met: s.ratio >= INGEST_TARGET,
    },
    {
      name: 'ingest p99 latency',
      goal: '≤ 2 × bare Express p99',
      measured: `${s.serverP99} ms vs ${s.bareP99} ms (${fixed(s.serverP99 / s.bareP99)}×)`,
      met: s.serverP99 <= 2 * s.bareP99,
    },
    { name: 'processing lag p99', goal: '< 250 ms while ingesting at full speed', measured: `${s.lagP99} ms (p50 ${s.lagP50} ms)`, met: s.lagP99 < 250 },
    {
      name: 'ingest vs BullMQ receiver',
      goal: 'ahead, > 1.0 × its req/s',
      measured:
        peer === null
          ? (results.peersSkipped?.ingest ?? 'not run')
          : `${fixed(peer.ratio)}× (median of rounds; ${Math.round(peer.serverRps)} vs ${Math.round(peer.peerRps)} req/s; p99 ${peer.serverP99} vs ${peer.peerP99} ms)`,
      met: peer === null ? null : peer.ratio > 1,
    },
    {
      name: 'peak RSS',
      goal: `< 200 MB after ${memory.events.toLocaleString('en')} events`,
      measured: `${Math.round(memory.peakRssBytes / MB)} MB`,
      met: memory.peakRssBytes < 200 * MB,
    },
    ...(results.memoryNoHeapLimit === undefined
      ? []
      : [
          {
            name: 'peak RSS without the heap limit',
            goal: `< 200 MB after ${results.memoryNoHeapLimit.events.toLocaleString('en')} events, no --max-old-space-size`,
            measured:
              `${Math.round(results.memoryNoHeapLimit.peakRssBytes / MB)} MB` +
              (results.memoryNoHeapLimit.peakHeap === null || memory.peakHeap === null
                ? ''
                : ` (main thread's heap at its largest ${Math.round(results.memoryNoHeapLimit.peakHeap.totalBytes / MB)} MB, with the limit ${Math.round(memory.peakHeap.totalBytes / MB)} MB: see Memory)`),
            met: results.memoryNoHeapLimit.peakRssBytes < 200 * MB,
          },
        ]),
    {
      name: 'no memory growth',
      goal: 'RSS after run 3 within 10 % of run 1',
      measured: `${memory.rssAfterRuns.map((b) => Math.round(b / MB)).join(' → ')} MB (${growth >= 0 ? '+' : ''}${fixed(growth * 100, 1)} %)`,
      met: growth <= 0.1,
    },
  ];
  if (outbound === null) {
    const reason = results.outboundSkipped ?? 'not run';
    targets.push({
      name: 'outbound throughput',
      goal: `≥ ${OUTBOUND_TARGET} × plain undici loop (heading for ${OUTBOUND_HEADING})`,
      measured: reason,
      met: null,
    });
    targets.push({ name: 'outbound vs fetch', goal: '≥ 3 × a fetch-based sender', measured: reason, met: null });
    targets.push({ name: 'outbound vs BullMQ sender', goal: OUTBOUND_PEER_GOAL, measured: reason, met: null });
  } else {
    const ratio = outbound.deliveriesPerSec / outbound.undiciPerSec;
    const versusFetch = outbound.deliveriesPerSec / outbound.fetchPerSec;
    targets.push({
      name: 'outbound throughput',
      goal: `≥ ${OUTBOUND_TARGET} × plain undici loop (heading for ${OUTBOUND_HEADING}), every attempt durable`,
      measured: `${fixed(ratio)} (${Math.round(outbound.deliveriesPerSec)} vs ${Math.round(outbound.undiciPerSec)} posts/s)`,
      met: ratio >= OUTBOUND_TARGET,
    });
    targets.push({
      name: 'outbound vs fetch',
      goal: '≥ 3 × a fetch-based sender',
      measured: `${fixed(versusFetch, 1)}× (fetch ${Math.round(outbound.fetchPerSec)} posts/s)`,
      met: versusFetch >= 3,
    });
    const sender = summarizePeerOutbound(outbound);
    targets.push({
      name: 'outbound vs BullMQ sender',
      goal: OUTBOUND_PEER_GOAL,
      measured:
        sender === null
          ? (results.peersSkipped?.outbound ?? 'not run')
          : `${fixed(sender.ratio)}× (median of rounds; ${Math.round(sender.corePerSec)} vs ${Math.round(sender.peerPerSec)} deliveries/s)`,
      met: sender === null ? null : sender.ratio > 1,
    });
  }
  return targets;
}

/**
 * The targets on both backends side by side: SQLite's rows as they always were, PostgreSQL's
 * measured beside them (or the reason it was not). A goal that depends on the run (the events
 * reached) is SQLite's; PostgreSQL's own is shown with its figure when it differs.
 */
export function evaluateTargets(results: BenchResults): TargetRow[] {
  const postgres = results.postgres === null ? null : backendTargets(results.postgres);
  const rows = backendTargets(results.sqlite).map((t) => {
    const pg = postgres?.find((p) => p.name === t.name);
    // The reason PostgreSQL was skipped is said once (console line, markdown header), not on every row.
    // A goal differing only because one side was not measured is no different goal.
    const otherGoal = pg !== undefined && pg.goal !== t.goal && pg.met !== null && t.met !== null;
    const measured = pg === undefined ? 'skipped' : otherGoal ? `${pg.measured}; goal there: ${pg.goal}` : pg.measured;
    return { name: t.name, goal: t.goal, sqlite: { measured: t.measured, met: t.met }, postgres: { measured, met: pg?.met ?? null } };
  });
  return [...rows, scaleRow(results.scale)];
}

/** The scale part's target, measured apart from the rest (it may run alone, BENCH_ONLY=scale). */
export function scaleRow(scale: BenchResults['scale']): TargetRow {
  return { name: 'cost flat with the backlog', goal: SCALE_GOAL, sqlite: scaleTarget(scale.sqlite), postgres: scaleTarget(scale.postgres) };
}

/** Two instances against one, in a line: there is no target for it, only the figure. */
export function pairLine(results: BenchResults, cores: number): string {
  if (results.pair === null) return `two PostgreSQL instances vs one: not measured (${results.pairSkipped ?? 'not run'})`;
  const p = summarizePair(results.pair, cores);
  return (
    `two PostgreSQL instances vs one, same total load: factor ${fixed(p.factor)} (${Math.round(p.twoRps)} vs ${Math.round(p.oneRps)} req/s); ` +
    `lag p99 ${p.twoLag.p99} ms vs ${p.oneLag.p99} ms`
  );
}

const verdict = (met: boolean | null) => (met === null ? '—' : met ? 'met' : 'missed');

/** The table printed at the end of the run. */
export function consoleTable(targets: TargetRow[]): string {
  const rows = [
    ['target', 'goal', 'SQLite', '', 'PostgreSQL', ''],
    ...targets.map((t) => [t.name, t.goal, t.sqlite.measured, verdict(t.sqlite.met), t.postgres.measured, verdict(t.postgres.met)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
}

export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
