import { cpuSection, ingestSection, memorySection, outboundSection } from './markdown-backends';
import { pairSection } from './markdown-pair';
import { ingestPeerSection, outboundPeerSection } from './markdown-peers';
import { scaleSection } from './markdown-scale';
import { evaluateTargets, markdownTable, type BenchResults } from './report';

const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

/** docs/BENCHMARKS.md: the machine, every target on both backends with its measured figure, then the detail. */
export function benchmarksMarkdown(results: BenchResults): string {
  const { machine: m } = results;
  const targets = evaluateTargets(results);
  const postgres =
    results.postgres === null
      ? `PostgreSQL: not measured (${results.postgresSkipped ?? 'not run'}).`
      : `PostgreSQL ${results.postgresServer?.version ?? '(version unknown)'} at ${results.postgresServer?.url ?? '?'}, on the same machine and cores, ` +
        'with a database created for the run, fresh for each part and dropped at the end.';
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (scripts/bench.ts) on ${m.date}, in ${Math.round(results.totalSeconds)} s. Do not edit by hand; run the bench again.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM; Node ${m.node}; ${m.platform}. The load generator ran on the same cores.`,
    '',
    `Backends: SQLite (the embedded default, a file in a temporary folder) and PostgreSQL (\`DATABASE_URL\`). ${postgres}`,
    '',
    '## Targets',
    '',
    markdownTable(
      ['target', 'goal', 'SQLite', '', 'PostgreSQL', ''],
      targets.map((t) => [t.name, t.goal, t.sqlite.measured, verdict(t.sqlite.met), t.postgres.measured, verdict(t.postgres.met)]),
    ),
    '',
    'Throughput figures are ratios against a baseline measured in the same run, alternated with it, because absolute figures on a shared machine say little.',
    '',
    ...ingestSection(results),
    '',
    ...cpuSection(results),
    '',
    ...ingestPeerSection(results),
    '',
    ...outboundSection(results),
    '',
    ...outboundPeerSection(results),
    '',
    ...memorySection(results),
    '',
    ...pairSection(results),
    '',
    ...scaleSection(results.scale),
    '',
  ];
  return `${parts.join('\n')}\n`;
}
