import { measured, sideBySide } from './markdown-backends';
import {
  LABEL,
  markdownTable,
  summarizePeerIngest,
  summarizePeerOutbound,
  type BackendResults,
  type BenchResults,
  type PeerIngestSummary,
  type PeerOutboundSummary,
  type PeersSkipped,
} from './report';
import { DRAIN_TIMEOUT_MS, INGEST_JOB_OPTIONS, LEDGER_CONCURRENCY } from './peer-setup';

// docs/BENCHMARKS.md: iaphook against what a Node team would build instead with BullMQ on Redis,
// measured in the ingest and outbound rounds.

const NA = '—';
const ATTEMPTS = INGEST_JOB_OPTIONS.attempts;
const DRAIN_S = DRAIN_TIMEOUT_MS / 1000;
const orNA = <T>(summary: T | null, pick: (s: T) => string | number) => (summary === null ? NA : pick(summary));

/** Where a backend's peer did not run (at all, or from some round on), why; outbound's own reason when it did not run. */
function notes(results: BenchResults, part: keyof PeersSkipped): string[] {
  return measured(results).flatMap((b) => {
    const ran = part === 'ingest' ? summarizePeerIngest(b.ingest) !== null : summarizePeerOutbound(b.outbound) !== null;
    const why = b.peersSkipped?.[part] ?? (part === 'outbound' && b.outbound === null ? (b.outboundSkipped ?? 'outbound not run') : undefined);
    if (why === undefined) return [];
    return [`\n${LABEL[b.backend]}: ${ran ? `missing from some rounds: ${why}` : `not measured, ${why}`}.`];
  });
}

export function ingestPeerSection(results: BenchResults): string[] {
  const cell = (r: BackendResults, pick: (s: PeerIngestSummary) => string | number) => orNA(summarizePeerIngest(r.ingest), pick);
  const rounds = measured(results).flatMap((b) =>
    b.ingest.flatMap((r, i) =>
      r.peer === undefined
        ? []
        : [
            [
              LABEL[b.backend],
              i + 1,
              Math.round(r.server.rps),
              `${r.server.p50} / ${r.server.p99}`,
              Math.round(r.peer.rps),
              `${r.peer.p50} / ${r.peer.p99}`,
              (r.server.rps / r.peer.rps).toFixed(2),
              r.peer.non2xx + r.peer.errors,
              `${r.peer.lag.p50} / ${r.peer.lag.p99}`,
              r.peer.lag.pending === 0 ? r.peer.lag.drainMs : `${r.peer.lag.drainMs} (${r.peer.lag.pending.toLocaleString('en')} jobs left)`,
            ],
          ],
    ),
  );
  const head = [
    '### Against a BullMQ receiver',
    '',
    'The receiver a Node team would build instead, loaded in the same rounds as iaphook and bare Express, the same way (the order of the three reverses every round): ' +
      "an Express 5 endpoint (its own process) that checks the `Authorization: Bearer` key, parses the JSON and answers 200 once BullMQ's `Queue.add` has resolved, " +
      'on a `redis-server` of the bench\'s own (`--appendonly yes --appendfsync always --save ""`: the job is on disk before the reply). ' +
      `A BullMQ worker (another process, ${LEDGER_CONCURRENCY} jobs in flight, ${ATTEMPTS} attempts with backoff) applies each job to a SQLite ledger (WAL, \`synchronous=FULL\`; SQLite in the PostgreSQL rounds too) ` +
      "in one transaction: it inserts the purchase row and upserts the user's entitlement. " +
      `Worker lag: the 200 reaching the client → the purchase row committed; drain: the end of the run → no job waiting or active (given up after ${DRAIN_S} s, the jobs left counted).`,
    '',
    'What it lacks against iaphook: it keeps no raw request (the headers and body as they arrived), only one job per event (the parsed body), removed once applied; ' +
      'no event record with a status, so a purchase that failed to apply can be inspected or replayed only from its failed job, not from what arrived; ' +
      "duplicates are caught only by the job id while the job exists and by the purchase row's key, with no checks of the purchase against the ledger.",
  ];
  if (rounds.length === 0) return [...head, ...notes(results, 'ingest')];
  return [
    ...head,
    '',
    sideBySide(results, [
      ['BullMQ receiver req/s (median of rounds)', (r) => cell(r, (s) => Math.round(s.peerRps))],
      ['iaphook / BullMQ receiver (median of the rounds’ ratios)', (r) => cell(r, (s) => `**${s.ratio.toFixed(2)}**`)],
      ['p99 iaphook / BullMQ receiver, ms', (r) => cell(r, (s) => `${s.serverP99} / ${s.peerP99}`)],
      ['BullMQ worker lag p50 / p99, ms', (r) => cell(r, (s) => `${s.lagP50} / ${s.lagP99}`)],
      ['BullMQ worker: longest drain after a run, ms', (r) => cell(r, (s) => s.drainMs)],
      [
        'BullMQ worker’s backlog after each run',
        (r) => cell(r, (s) => (s.pending === 0 ? 'drained every time' : `not drained: ${s.pending.toLocaleString('en')} jobs left after ${DRAIN_S} s`)),
      ],
      [
        'BullMQ receiver non-2xx and errors / failed jobs',
        (r) => cell(r, (s) => `${r.ingest.reduce((n, x) => n + (x.peer ? x.peer.non2xx + x.peer.errors : 0), 0)} / ${s.failed}`),
      ],
    ]),
    ...notes(results, 'ingest'),
    '',
    markdownTable(
      [
        'backend',
        'round',
        'iaphook req/s',
        'p50 / p99 ms',
        'BullMQ receiver req/s',
        'p50 / p99 ms',
        'iaphook / BullMQ',
        'non-2xx',
        'worker lag p50 / p99 ms',
        'drain ms',
      ],
      rounds,
    ),
  ];
}

export function outboundPeerSection(results: BenchResults): string[] {
  const cell = (r: BackendResults, pick: (s: PeerOutboundSummary) => string | number) => orNA(summarizePeerOutbound(r.outbound), pick);
  const rounds = measured(results).flatMap((b) =>
    (b.outbound?.rounds ?? []).flatMap((r, i) =>
      r.peer === undefined ? [] : [[LABEL[b.backend], i + 1, Math.round(r.core), Math.round(r.peer), (r.core / r.peer).toFixed(2)]],
    ),
  );
  const perRound = Number(results.settings.outboundPerRound).toLocaleString('en');
  const head = [
    '### Against a BullMQ sender',
    '',
    `The sender such a team would build, alternated with the delivery core in the same rounds: one \`addBulk\` of ${perRound} jobs per round to a BullMQ queue on the same kind of \`redis-server\` ` +
      `(a fresh one per backend, fsync on every write), and a BullMQ worker in the bench's process, ${results.settings.outboundInFlight} jobs in flight, ` +
      "posting each job's event signed (Standard Webhooks, as the core signs) through an undici `Pool` to the same sink; each completed job stays in Redis with its result " +
      `(status, time, response) as its attempt log (\`removeOnComplete: false\`), ${ATTEMPTS} attempts with exponential backoff. ` +
      'Deliveries/s: the jobs ÷ the time from the `addBulk` until the worker had completed them all (the core: from the outbox commit until none is open).',
    '',
    "What it lacks against the core: its jobs are added outside the database the events come from, where the core's outbox commits in the event's own transaction; " +
      'a job keeps only its last result and its errors, not a row per attempt; no per-endpoint concurrency limit, no pause.',
  ];
  if (rounds.length === 0) return [...head, ...notes(results, 'outbound')];
  return [
    ...head,
    '',
    sideBySide(results, [
      ['BullMQ sender, deliveries/s (median)', (r) => cell(r, (s) => Math.round(s.peerPerSec))],
      ['delivery core / BullMQ sender (median of the rounds’ ratios)', (r) => cell(r, (s) => `**${s.ratio.toFixed(2)}**`)],
      ['completed jobs kept with their result', (r) => (r.outbound?.peerLogged === undefined ? NA : r.outbound.peerLogged.toLocaleString('en'))],
    ]),
    ...notes(results, 'outbound'),
    '',
    markdownTable(['backend', 'round', 'delivery core /s', 'BullMQ sender /s', 'core / BullMQ'], rounds),
  ];
}
