import { rateDown } from '../domain/rates.js';
import type { FinishedBatch, RunResult } from '../pipeline/run.js';

const scope = (province: string | null) => (province === null ? 'the whole country' : `province ${province}`);

const countsOf = (b: Omit<FinishedBatch, 'batchId'>) => {
  const c = b.counts;
  return (
    `${c.read} read · ${c.matched} MATCHED · ${c.mismatched} MISMATCHED · ${c.missing} MISSING_ID · ${c.conflict} CONFLICT · ` +
    `${c.pending} PENDING · ${c.errors} errors · ${b.shared} shared`
  );
};

const how = (b: { resumed: boolean; joined: boolean }) => (b.resumed ? ' (resumed)' : b.joined ? ' (joined)' : '');

/**
 * The run's summary on stderr: first any open batch of another scope it finished before its own (one line each),
 * then the batch asked for — or that nothing was left to verify.
 */
export function formatSummary(r: RunResult, seconds: number): string {
  const first = r.finishedFirst.map(
    (b) => `batch ${b.batchId}${how(b)} of ${scope(b.province)} was open and is finished first: ${countsOf(b)}\n`,
  );
  const asked =
    r.batchId === null
      ? `nothing to verify${r.finishedFirst.length > 0 ? ` for ${scope(r.province)}` : ''}: every participant is up to date (${seconds.toFixed(1)} s)`
      : `batch ${r.batchId}${how(r)}${r.finishedFirst.length > 0 ? ` of ${scope(r.province)}` : ''} done in ${seconds.toFixed(1)} s: ${countsOf(r)}`;
  return first.join('') + asked;
}

/** A share as a percentage with one decimal, rounded down: 5 000 of 5 001 is 99.9 %, never a 100 % that is not. */
export function percentDown(rate: number): string {
  return `${(rateDown(rate) * 100).toFixed(1)} %`;
}
