import { heapLimitParagraph } from '../../scripts/bench/markdown-backends';
import { heapOf, type HeapSample, type MemoryResult } from '../../scripts/bench/memory';
import { backendTargets, type BackendResults, type BenchResults } from '../../scripts/bench/report';

const MB = 2 ** 20;
const metrics = (lines: string[]) => `# HELP x\n${lines.join('\n')}\n`;
const FULL = [
  'nodejs_heap_size_total_bytes 58519552',
  'nodejs_heap_size_used_bytes 26536832',
  'nodejs_heap_space_size_total_bytes{space="new"} 33554432',
  'nodejs_heap_space_size_total_bytes{space="old"} 23035904',
  'nodejs_heap_space_size_used_bytes{space="old"} 19829152',
];

describe('bench memory: the main thread heap from /metrics', () => {
  it.each<[string, string, HeapSample | null]>([
    ['every metric present', metrics(FULL), { totalBytes: 58519552, usedBytes: 26536832, newSpaceBytes: 33554432, oldSpaceBytes: 23035904 }],
    ['the old space missing', metrics(FULL.filter((l) => !l.includes('"old"} 2303'))), null],
    ['no default metrics at all', metrics(['iaphook_jobs_queue_depth{kind="x"} 3']), null],
    ['a value that is not a number', metrics(FULL.map((l) => l.replace('58519552', 'NaN'))), null],
  ])('when the exposition has %s, then the sample is read or refused', (_name, text, expected) => {
    expect(heapOf(text)).toEqual(expected);
  });
});

const heap = (totalMb: number, oldMb: number): HeapSample => ({
  totalBytes: totalMb * MB,
  usedBytes: 30 * MB,
  newSpaceBytes: 32 * MB,
  oldSpaceBytes: oldMb * MB,
});
const memory = (peakRssMb: number, peakHeap: HeapSample | null): MemoryResult => ({
  events: 100_000,
  peakRssBytes: peakRssMb * MB,
  rssAfterRuns: [1, 1, 1].map(() => (peakRssMb - 5) * MB),
  databaseBytes: 1,
  walBytes: 1,
  databaseBytesPerEvent: 1,
  peakHeap,
  heapAfterRuns: [],
});
const sqlite = (withLimit: MemoryResult, without?: MemoryResult) =>
  ({ backend: 'sqlite', ingest: [], memory: withLimit, memoryNoHeapLimit: without, outbound: null }) as unknown as BackendResults;

describe('bench memory: what the heap limit is for', () => {
  it('when both runs read the heap, then the paragraph sets the RSS the flag saves against the heap it saves', () => {
    const results = { sqlite: sqlite(memory(188, heap(70, 35)), memory(254, heap(128, 95))), postgres: null } as unknown as BenchResults;
    const [, text] = heapLimitParagraph(results);
    expect(text).toContain('keeps the peak RSS 66 MB lower (188 against 254 MB)');
    expect(text).toContain("the main thread's heap at its largest is 58 MB of that (70 against 128 MB committed, old space 35 against 95 MB)");
  });

  it.each([
    ['the run without the limit did not happen', sqlite(memory(188, heap(70, 35)))],
    ['a run could not read the heap', sqlite(memory(188, heap(70, 35)), memory(254, null))],
  ])('when %s, then there is no paragraph', (_name, backend) => {
    expect(heapLimitParagraph({ sqlite: backend, postgres: null } as unknown as BenchResults)).toEqual([]);
  });

  it('when the heap was read, then the target row without the limit names both heaps', () => {
    const row = backendTargets(sqlite(memory(188, heap(70, 35)), memory(254, heap(128, 95)))).find((t) => t.name === 'peak RSS without the heap limit');
    expect(row).toMatchObject({ met: false, measured: "254 MB (main thread's heap at its largest 128 MB, with the limit 70 MB: see Memory)" });
  });
});
