import { us } from './markdown-backends';
import { LABEL, markdownTable } from './report';
import type { Backend } from '../../src/storage';
import type { ScaleOutcome, ScaleResult } from './scale';
import { FLAT_FACTOR, SCALE_FIGURES, scaleGrowth, sizeLabel } from './scale-report';

// docs/BENCHMARKS.md: how the cost per job and per webhook grows with the database.

function backendTable(result: ScaleResult): string {
  const { work } = result;
  const header = [
    'due jobs queued',
    'raw requests',
    'claim + complete, apply kind, µs/job',
    'claim + complete, capped delivery, µs/job',
    'ingest, one at a time, µs/webhook',
    `ingest, ${work.inFlight} in flight, µs/webhook`,
    'seeded in, s',
  ];
  const rows: Array<Array<string | number>> = result.steps.map((s) => [
    s.backlog.toLocaleString('en'),
    s.rawRequests.toLocaleString('en'),
    ...SCALE_FIGURES.map(({ figure }) => us(s[figure])),
    s.seedSeconds.toFixed(1),
  ]);
  if (result.steps.length > 1) {
    const last = result.steps[result.steps.length - 1].backlog;
    rows.push([`${sizeLabel(last)} / ${sizeLabel(result.steps[0].backlog)}`, '', ...scaleGrowth(result).map((g) => `**${g.factor.toFixed(2)}×**`), '']);
  }
  return markdownTable(header, rows);
}

/** The section: how it was measured and the rule, then a table per backend. */
export function scaleSection(scale: Record<Backend, ScaleOutcome>): string[] {
  const measured = (['sqlite', 'postgres'] as const).flatMap((b) => {
    const outcome = scale[b];
    return 'skipped' in outcome ? [] : [{ backend: b, result: outcome }];
  });
  const skipped = (['sqlite', 'postgres'] as const).flatMap((b) => {
    const outcome = scale[b];
    return 'skipped' in outcome ? [`${LABEL[b]}: not measured, ${outcome.skipped}.`] : [];
  });
  const head = ['## How cost grows with the work', ''];
  if (measured.length === 0) return [...head, ...skipped];
  const { work, endpoints, workers } = measured[0].result;
  const share = (n: number) => Math.ceil(n / work.rounds).toLocaleString('en');
  return [
    ...head,
    "The cost of one job and of one webhook as the database grows, in the bench's process on the real storage (migrations and indexes, the runtime's default settings) and the real code paths. " +
      'Each size tops up the one before, with one INSERT … SELECT over a generated series per table into the real tables, indexes in place: due jobs (half apply jobs; half deliveries to ' +
      `${endpoints} subscriptions, the oldest due jobs, as when a subscriber fell behind; the apply jobs due after them), and as many stored webhooks (a raw request as the receiver keeps it, masked headers and the body's bytes, with its event). ` +
      'Each backend starts from a fresh file or database; above its table, how it is settled after each top-up.',
    '',
    `At each size, ${work.rounds} rounds, each figure the median of the rounds: the apply worker (${workers.applyConcurrency} at a time, uncapped) and the outbound worker ` +
      `(${workers.deliveryConcurrency} at a time, at most ${workers.perEndpoint} per endpoint, so with ${endpoints} endpoints the cap binds) as the runtime builds them, with a handler that does nothing, ` +
      `work through ${share(work.apply)} and ${share(work.delivery)} jobs queued at the head (timed from the end of the first tenth): what is timed is claiming each job and recording its completion, attempt log included. ` +
      `The receiver's store (raw request, event and apply job in one durable transaction, as the runtime wires it) takes ${share(work.ingest)} distinct purchases one at a time, ` +
      `then ${share(work.ingestConcurrent)} with ${work.inFlight} in flight (wall time / count), prepared by the receiver beforehand. The raw requests are counted when a size's rounds begin; its ingest adds to them. ` +
      "One more round before the smallest size's is not counted, so that compiled code and prepared statements are as warm there as at the larger sizes.",
    '',
    `Flat means every figure at the largest size is within ${FLAT_FACTOR} × its figure at the smallest. ` +
      "What keeps the claims flat: a claim of one kind reads that kind's due jobs in due order from the pending jobs' (kind, run_at) index and stops at its batch; " +
      "the capped claim, and the outbound worker's next wake-up time, read each endpoint's first due jobs from the pending jobs' (concurrency_key, kind, run_at) index, " +
      'skipping from one endpoint to the next, so the backlog of an endpoint whose slots are all taken is never walked.',
    ...measured.flatMap(({ backend, result }) => ['', `${LABEL[backend]}: ${result.settled}.`, '', backendTable(result)]),
    ...skipped.flatMap((line) => ['', line]),
  ];
}
