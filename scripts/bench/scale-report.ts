import type { Target } from './report';
import type { ScaleOutcome, ScaleResult, ScaleStep } from './scale';

// Pure summaries of the scale part: how much each figure grew from the smallest size to the largest,
// and the target it makes.

/** The figure at the largest size may be at most this multiple of the one at the smallest. */
export const FLAT_FACTOR = 1.5;

type Figure = keyof Pick<ScaleStep, 'applyUs' | 'deliveryUs' | 'ingestUs' | 'ingestConcurrentUs'>;

/** The measured paths, in the report's column order. */
export const SCALE_FIGURES: ReadonlyArray<{ figure: Figure; label: string }> = [
  { figure: 'applyUs', label: 'claim + complete, apply kind' },
  { figure: 'deliveryUs', label: 'claim + complete, capped delivery' },
  { figure: 'ingestUs', label: 'ingest, one at a time' },
  { figure: 'ingestConcurrentUs', label: 'ingest, concurrent' },
];

export const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

/** Each figure at the largest size over the same at the smallest. */
export function scaleGrowth(result: ScaleResult): Array<{ label: string; factor: number }> {
  const first = result.steps[0];
  const last = result.steps[result.steps.length - 1];
  return SCALE_FIGURES.map(({ figure, label }) => ({ label, factor: last[figure] / first[figure] }));
}

export const SCALE_GOAL = `every figure at the largest backlog ≤ ${FLAT_FACTOR} × its figure at the smallest`;

/** The target on one backend: the figure that grew most, met when it grew at most FLAT_FACTOR times. */
export function scaleTarget(outcome: ScaleOutcome): Pick<Target, 'measured' | 'met'> {
  if ('skipped' in outcome) return { measured: outcome.skipped, met: null };
  const { steps } = outcome;
  if (steps.length < 2) return { measured: `only ${steps[0]?.backlog ?? 0} due jobs measured`, met: null };
  const worst = scaleGrowth(outcome).reduce((a, b) => (b.factor > a.factor ? b : a));
  const span = `${sizeLabel(steps[0].backlog)} → ${sizeLabel(steps[steps.length - 1].backlog)} due jobs`;
  return { measured: `${span}: at most ${worst.factor.toFixed(2)}× (${worst.label})`, met: worst.factor <= FLAT_FACTOR };
}
