import type { RunResult } from '../pipeline/run.js';

export function formatSummary(r: RunResult, seconds: number): string {
  if (r.batchId === null) return `nothing to verify: every participant is up to date (${seconds.toFixed(1)} s)`;
  const c = r.counts;
  return (
    `batch ${r.batchId}${r.resumed ? ' (resumed)' : r.joined ? ' (joined)' : ''} done in ${seconds.toFixed(1)} s: ${c.read} read · ${c.matched} MATCHED · ` +
    `${c.mismatched} MISMATCHED · ${c.missing} MISSING_ID · ${c.conflict} CONFLICT · ${c.pending} PENDING · ${c.errors} errors · ` +
    `${r.shared} shared` +
    (r.otherScope
      ? `\nthat was the open batch of ${r.province === null ? 'the whole country' : `province ${r.province}`}, finished first: run ddcn run again for what you asked`
      : '')
  );
}

/** A share as a percentage with one decimal, rounded down: 5 000 of 5 001 is 99.9 %, never a 100 % that is not. */
export function percentDown(rate: number): string {
  return `${(Math.floor(rate * 1000 + 1e-9) / 10).toFixed(1)} %`;
}
