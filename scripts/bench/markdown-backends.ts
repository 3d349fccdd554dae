import { mb, type HeapSample, type MemoryResult } from './memory';
import {
  LABEL,
  markdownTable,
  summarizeCpu,
  summarizeIngest,
  summarizeOutboundCpu,
  type BackendResults,
  type BenchResults,
  type CpuSide,
  type OutboundCpuSummary,
} from './report';
import { INGEST_TARGET, OUTBOUND_TARGET, type OutboundCpuSide } from './summary';

// The per-backend sections of docs/BENCHMARKS.md: a SQLite | PostgreSQL table per figure, then the rounds.

export const us = (n: number) => Math.round(n).toLocaleString('en');
const NA = '—';

/** One row per figure, a column per backend ('—' where PostgreSQL was not measured). */
export function sideBySide(results: BenchResults, rows: Array<[string, (r: BackendResults) => string | number]>): string {
  const backends = [results.sqlite, results.postgres];
  return markdownTable(
    ['', 'SQLite', 'PostgreSQL'],
    rows.map(([label, cell]) => [label, ...backends.map((b) => (b === null ? NA : cell(b)))]),
  );
}

export const measured = (results: BenchResults) => [results.sqlite, ...(results.postgres === null ? [] : [results.postgres])];

export function ingestSection(results: BenchResults): string[] {
  const s = (r: BackendResults) => summarizeIngest(r.ingest);
  return [
    '## Ingest',
    '',
    `autocannon, ${results.settings.connections} connections, distinct purchases (~${results.settings.bodyBytes}-byte bodies) with a valid key, ${results.settings.durationSec} s per run, ` +
      `against the real server (\`node dist/src/main.js\`, ${results.settings.serverConfig}) and a bare Express 5 endpoint doing the same JSON parsing (its own process), alternated. ` +
      'Each backend has its own rounds, each with its own bare Express runs.',
    '',
    sideBySide(results, [
      ['iaphook req/s (median of rounds)', (r) => Math.round(s(r).serverRps)],
      ['bare Express req/s, same rounds', (r) => Math.round(s(r).bareRps)],
      ['ratio (median of the rounds’ ratios)', (r) => `**${s(r).ratio.toFixed(2)}**`],
      ['p99 iaphook / bare Express, ms', (r) => `${s(r).serverP99} / ${s(r).bareP99}`],
      ['processing lag p50 / p99, ms', (r) => `${s(r).lagP50} / ${s(r).lagP99}`],
      ['longest drain after a run, ms', (r) => s(r).drainMs],
      ['non-2xx and errors', (r) => r.ingest.reduce((n, x) => n + x.server.non2xx + x.server.errors, 0)],
    ]),
    '',
    'Every 200 was sent after its raw request, event and job had committed: on SQLite with `synchronous=FULL`; on PostgreSQL with a COMMIT ' +
      `on the server's settings (${results.postgresServer?.durability ?? 'not measured'}). ` +
      'Processing lag: the 200 reaching the client → the event `applied`, every acknowledged event of every round.',
    '',
    markdownTable(
      ['backend', 'round', 'bare Express req/s', 'p50 / p99 ms', 'iaphook req/s', 'p50 / p99 ms', 'ratio', 'non-2xx', 'lag p50 / p99 ms', 'drain ms'],
      measured(results).flatMap((b) =>
        b.ingest.map((r, i) => [
          LABEL[b.backend],
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
    ),
  ];
}

export const cpuCells = (c: CpuSide) => [
  us(c.mainUs),
  us(c.otherUs),
  c.databaseUs === undefined ? NA : us(c.databaseUs),
  us(c.loadUs),
  us(c.totalUs),
  us(c.ceilingRps),
];

/** Where each request's CPU goes, and what that means for the throughput ratio on this machine. */
export function cpuSection(results: BenchResults): string[] {
  const cores = results.machine.cores;
  const summaries = measured(results).map((b) => ({ label: LABEL[b.backend], cpu: summarizeCpu(b.ingest, cores) }));
  const [sqlite, postgres] = summaries.map((s) => s.cpu);
  if (sqlite === null) return ['CPU per request: not measured (/proc not readable).'];
  const budget = (label: string, c: NonNullable<typeof sqlite>, where: string) =>
    `For iaphook on ${label} to reach the target of ${INGEST_TARGET} × bare Express here, one request, load generator included, would have to cost at most ${us(c.budgetUsAtTarget)} µs; ` +
    `it costs ${us(c.server.totalUs)} µs, ${where}.`;
  return [
    'CPU per request (medians of the rounds, µs; read from /proc for every thread of each process):',
    '',
    markdownTable(
      ['', 'main thread', 'other threads', 'PostgreSQL backends', 'load generator', 'total', `ceiling on ${cores} cores, req/s`],
      summaries.flatMap((s) =>
        s.cpu === null
          ? []
          : [
              [`bare Express (${s.label} rounds)`, ...cpuCells(s.cpu.bare)],
              [`iaphook, ${s.label}`, ...cpuCells(s.cpu.server)],
            ],
      ),
    ),
    '',
    `"Other threads" are, for iaphook on SQLite, the database thread (durable ingest, ledger applies), the WAL checkpointer and V8's garbage-collector and compiler threads; for bare Express only the latter. ` +
      `The ceiling is the cores' time divided by one request's total cost. ` +
      budget(
        'SQLite',
        sqlite,
        `and its other threads alone cost ${us(sqlite.server.otherUs)} µs against bare Express's ${us(sqlite.bare.otherUs)} µs: storing and applying each event durably, which bare Express does not do`,
      ),
    ...(postgres === null || postgres === undefined
      ? []
      : [
          '',
          'On PostgreSQL the database is other processes on the same cores: "PostgreSQL backends" is the CPU of the server processes serving the instance\'s connections ' +
            "(this database's client backends in `pg_stat_activity`, read from /proc; the bench's own reader is left out, and so are the server's WAL writer, checkpointer and autovacuum, which serve every database on it). " +
            budget(
              'PostgreSQL',
              postgres,
              `of which ${postgres.server.databaseUs === undefined ? NA : us(postgres.server.databaseUs)} µs in PostgreSQL's backends`,
            ),
        ]),
  ];
}

export function outboundSection(results: BenchResults): string[] {
  const o = (r: BackendResults, cell: (x: NonNullable<BackendResults['outbound']>) => string | number) => (r.outbound === null ? NA : cell(r.outbound));
  const skipped = measured(results).filter((b) => b.outbound === null);
  const rounds = measured(results).flatMap((b) =>
    (b.outbound?.rounds ?? []).map((r, i) => [LABEL[b.backend], i + 1, Math.round(r.core), Math.round(r.undici), (r.core / r.undici).toFixed(2)]),
  );
  return [
    '## Outbound',
    '',
    `${Number(results.settings.outboundPerRound).toLocaleString('en')} deliveries per round from the delivery core (the real runtime in the bench's process: outbox, claim with a lease, HTTP attempt, attempt log committed durably, ` +
      `on a fresh database) to a local keep-alive sink (its own process), against a plain undici \`Pool\` loop posting the same body, ${results.settings.outboundInFlight} in flight, alternated.`,
    '',
    sideBySide(results, [
      ['delivery core, deliveries/s (median)', (r) => o(r, (x) => Math.round(x.deliveriesPerSec))],
      ['plain undici pool, posts/s (median)', (r) => o(r, (x) => Math.round(x.undiciPerSec))],
      ['ratio', (r) => o(r, (x) => `**${(x.deliveriesPerSec / x.undiciPerSec).toFixed(2)}**`)],
      [`global \`fetch\`, ${results.settings.outboundInFlight} in flight, posts/s`, (r) => o(r, (x) => Math.round(x.fetchPerSec))],
      ['delivery core / fetch', (r) => o(r, (x) => `${(x.deliveriesPerSec / x.fetchPerSec).toFixed(1)}×`)],
      ['attempts logged / deliveries', (r) => o(r, (x) => `${x.attemptsLogged.toLocaleString('en')} / ${x.deliveries.toLocaleString('en')}`)],
      [
        'at the default per-endpoint cap, deliveries/s',
        (r) =>
          o(r, (x) =>
            x.defaultCap === undefined
              ? NA
              : `${Math.round(x.defaultCap.deliveriesPerSec)} (cap ${x.defaultCap.perKey}; ${(x.defaultCap.deliveriesPerSec / x.deliveriesPerSec).toFixed(2)} × the rounds')`,
          ),
      ],
    ]),
    '',
    `The rounds lift \`OUTBOUND_ENDPOINT_CONCURRENCY\` to the ${results.settings.outboundInFlight} in flight, as the loops they are compared with have no cap; ` +
      'the last row is one more run with the cap as shipped, which bounds how many requests one subscriber has open at once (see the README, Delivery and retries).',
    ...skipped.map((b) => `\n${LABEL[b.backend]}: not measured, ${b.outboundSkipped ?? 'skipped'}.`),
    ...(rounds.length === 0 ? [] : ['', markdownTable(['backend', 'round', 'delivery core /s', 'undici pool /s', 'ratio'], rounds)]),
    ...outboundCpuSection(results),
  ];
}

const outboundCpuCells = (c: OutboundCpuSide) => [
  us(c.mainUs),
  us(c.otherUs),
  us(c.helperUs),
  c.databaseUs === undefined ? NA : us(c.databaseUs),
  us(c.totalUs),
  us(c.ceilingPerSec),
];

/** Where each delivery's CPU goes, against a post of the undici loop, and what that allows on these cores. */
function outboundCpuSection(results: BenchResults): string[] {
  const cores = results.machine.cores;
  const summaries = measured(results).flatMap((b) => {
    const cpu = summarizeOutboundCpu(b.outbound, cores);
    return cpu === null ? [] : [{ label: LABEL[b.backend], cpu }];
  });
  if (summaries.length === 0) return [];
  const budget = ({ label, cpu }: { label: string; cpu: OutboundCpuSummary }) =>
    `For the delivery core on ${label} to reach the target of ${OUTBOUND_TARGET} × the undici loop here, one delivery, sink included, would have to cost at most ${us(cpu.budgetUsAtTarget)} µs; ` +
    `it costs ${us(cpu.core.totalUs)} µs, of which ${us(cpu.core.mainUs)} µs on the main thread alone against the loop's ${us(cpu.undici.mainUs)} µs per post` +
    (cpu.core.databaseUs === undefined ? '.' : ` and ${us(cpu.core.databaseUs)} µs in PostgreSQL's backends.`);
  return [
    '',
    `CPU per delivery of the core's rounds and per post of the undici loop's (µs, summed over the rounds; read from /proc for every thread of the bench's process, the sink's and, on PostgreSQL, this database's client backends):`,
    '',
    markdownTable(
      ['', 'main thread', 'other threads', 'sink', 'PostgreSQL backends', 'total', `ceiling on ${cores} cores, /s`],
      summaries.flatMap(({ label, cpu }) => [
        [`plain undici loop (${label} rounds)`, ...outboundCpuCells(cpu.undici)],
        [`delivery core, ${label}`, ...outboundCpuCells(cpu.core)],
      ]),
    ),
    '',
    "A delivery's CPU is all of its round's: the outbox write of its event, the claim, the signed request, the attempt log and the job's completion, committed durably. " +
      "The ceiling is the cores' time divided by one delivery's total cost. " +
      summaries.map(budget).join(' '),
  ];
}

export function memorySection(results: BenchResults): string[] {
  return [
    '## Memory and size',
    '',
    "The same server process as the ingest rounds, topped up in three runs. RSS is the iaphook process only (on PostgreSQL the database server's memory is its own processes').",
    '',
    sideBySide(results, [
      ['events stored', (r) => r.memory.events.toLocaleString('en')],
      ['RSS after each run, MB', (r) => r.memory.rssAfterRuns.map(mb).join(' → ')],
      ['peak RSS, MB', (r) => mb(r.memory.peakRssBytes)],
      [
        'without the heap limit: RSS after each run → peak, MB',
        (r) =>
          r.memoryNoHeapLimit === undefined ? NA : `${r.memoryNoHeapLimit.rssAfterRuns.map(mb).join(' → ')} → peak ${mb(r.memoryNoHeapLimit.peakRssBytes)}`,
      ],
      ["main thread's V8 heap at its largest: committed (new + old space), MB", (r) => heapCell(r.memory.peakHeap)],
      ['the same without the heap limit, MB', (r) => (r.memoryNoHeapLimit === undefined ? NA : heapCell(r.memoryNoHeapLimit.peakHeap))],
      ['database on disk, MB', (r) => `${mb(r.memory.databaseBytes)} (${r.backend === 'sqlite' ? 'file and WAL' : '`pg_database_size`'})`],
      [
        'of which WAL, MB',
        (r) => (r.memory.walBytes === null ? 'not per database: the WAL is the PostgreSQL server’s, shared by all its databases' : mb(r.memory.walBytes)),
      ],
      ['bytes per event', (r) => Math.round(r.memory.databaseBytesPerEvent).toLocaleString('en')],
    ]),
    '',
    'Bytes per event: raw request with headers and body, event, job, attempt log, purchase, ledger entry (and their indexes).',
    '',
    '`npm start` runs `node --max-old-space-size=256`. V8 otherwise sizes its old generation to the machine (gigabytes here) and collects it late: ' +
      'the "without the heap limit" rows are a fresh server, same load, without the flag. The flag makes V8 collect sooner; it does not hide a growth, ' +
      'which would show as RSS rising from run to run in either row.',
    ...heapLimitParagraph(results),
  ];
}

const heapCell = (heap: HeapSample | null) =>
  heap === null ? NA : `${mb(heap.totalBytes)} (${mb(heap.newSpaceBytes)} + ${mb(heap.oldSpaceBytes)}; ${mb(heap.usedBytes)} in use then)`;

/**
 * What the heap limit is for, from the two SQLite runs: how much of the peak RSS the limit saves
 * against how much the main thread's heap grew without it. Empty where either was not measured.
 */
export function heapLimitParagraph(results: BenchResults): string[] {
  const withLimit: MemoryResult = results.sqlite.memory;
  const without = results.sqlite.memoryNoHeapLimit;
  if (without === undefined || withLimit.peakHeap === null || without.peakHeap === null) return [];
  const rssGap = without.peakRssBytes - withLimit.peakRssBytes;
  const heapGap = without.peakHeap.totalBytes - withLimit.peakHeap.totalBytes;
  return [
    '',
    `On SQLite the flag keeps the peak RSS ${mb(rssGap)} MB lower (${mb(withLimit.peakRssBytes)} against ${mb(without.peakRssBytes)} MB); ` +
      `the main thread's heap at its largest is ${mb(heapGap)} MB of that (${mb(withLimit.peakHeap.totalBytes)} against ${mb(without.peakHeap.totalBytes)} MB committed, ` +
      `old space ${mb(withLimit.peakHeap.oldSpaceBytes)} against ${mb(without.peakHeap.oldSpaceBytes)} MB), with the same events stored and no growth from run to run in either. ` +
      'The rest of the process (the database thread, whose heap is capped in code at 96 MB, the checkpointer, SQLite, Node itself) is the same in both. ' +
      'So the limit is there for V8, not for a leak: V8 lets the old space grow to a multiple of what survived its last full collection before collecting again, ' +
      'a larger multiple the larger its limit (given gigabytes, several times what is live; given 256 MB, little more). ' +
      'In a container with a memory limit Node sizes the heap from that limit instead of from the machine.',
  ];
}
