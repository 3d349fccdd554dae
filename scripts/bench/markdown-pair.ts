import { cpuCells, us } from './markdown-backends';
import { summarizePair, type PairRun } from './pair';
import { markdownTable, type BenchResults, type CpuSide } from './report';

// docs/BENCHMARKS.md: two PostgreSQL instances on one database against one, and what limits it.

const lagCell = (r: PairRun) => `${r.lag.p50} / ${r.lag.p99}`;
const percent = (n: number) => `${Math.round(n * 100)} %`;

/** How much of the cores' time the accounted CPU fills at the measured rate (1 = all of it). */
const coresBusy = (rps: number, cpu: CpuSide, cores: number) => (rps * cpu.totalUs) / (cores * 1e6);

export function pairSection(results: BenchResults): string[] {
  const head = ['## Two instances against one (PostgreSQL)', ''];
  if (results.pair === null) return [...head, `Not measured: ${results.pairSkipped ?? 'not run'}.`];
  const cores = results.machine.cores;
  const p = summarizePair(results.pair, cores);
  const connections = Number(results.settings.connections);
  const limits =
    p.oneCpu === null || p.twoCpu === null
      ? ['CPU per request: not measured (/proc not readable).']
      : [
          'CPU per request (medians of the rounds, µs, both instances summed; read from /proc as in the ingest section):',
          '',
          markdownTable(
            [
              '',
              'main threads',
              'other threads',
              'PostgreSQL backends',
              'load generator',
              'total',
              `ceiling on ${cores} cores, req/s`,
              'measured req/s',
              'cores busy (accounted)',
            ],
            [
              ['one instance', ...cpuCells(p.oneCpu), Math.round(p.oneRps), percent(coresBusy(p.oneRps, p.oneCpu, cores))],
              ['two instances', ...cpuCells(p.twoCpu), Math.round(p.twoRps), percent(coresBusy(p.twoRps, p.twoCpu, cores))],
            ],
          ),
          '',
          `What limits it: both instances, their PostgreSQL backends and the load generator share this machine's ${cores} cores, so a second instance adds processes, not cores. ` +
            `A request costs ${us(p.oneCpu.totalUs)} µs of CPU in all with one instance and ${us(p.twoCpu.totalUs)} µs with two, ` +
            `which caps the cores at ${us(p.oneCpu.ceilingRps)} and ${us(p.twoCpu.ceilingRps)} req/s; the measured rates fill ` +
            `${percent(coresBusy(p.oneRps, p.oneCpu, cores))} and ${percent(coresBusy(p.twoRps, p.twoCpu, cores))} of the cores' time with accounted work ` +
            "(the rest is idle time, or other processes on the machine and the PostgreSQL server's shared WAL writer and checkpointer, which are not counted).",
        ];
  return [
    ...head,
    `Two server processes (each its own data folder and port) on one fresh PostgreSQL database, loaded at once by two autocannon instances in the bench's process with ` +
      `${Math.ceil(connections / 2)} + ${Math.floor(connections / 2)} connections, against all ${connections} connections on one of them, ` +
      `${results.settings.durationSec} s per run, alternated. During a one-instance run the other process is paused (SIGSTOP, never inside a transaction), ` +
      "so it neither answers nor applies the first one's events, and stays as warm for the next run. Each run ends when the backlog has drained; the lag is measured as in the ingest section.",
    '',
    markdownTable(
      [
        'round',
        'one instance req/s',
        'p99 ms',
        'lag p50 / p99 ms',
        'two instances req/s',
        'each',
        'p99 ms (higher of the two)',
        'lag p50 / p99 ms',
        'factor',
        'non-2xx',
      ],
      results.pair.map((r, i) => [
        i + 1,
        Math.round(r.one.rps),
        r.one.p99,
        lagCell(r.one),
        Math.round(r.two.rps),
        r.two.perInstance.map(Math.round).join(' + '),
        r.two.p99,
        lagCell(r.two),
        (r.two.rps / r.one.rps).toFixed(2),
        r.one.failed + r.two.failed,
      ]),
    ),
    '',
    `Two instances acknowledged **${p.factor.toFixed(2)} ×** what one did (median of the rounds' factors; ${Math.round(p.twoRps)} against ${Math.round(p.oneRps)} req/s). ` +
      `Processing lag p99: ${p.twoLag.p99} ms with two instances, ${p.oneLag.p99} ms with one (p50 ${p.twoLag.p50} and ${p.oneLag.p50} ms).`,
    '',
    ...limits,
  ];
}
