import { rateDown } from '../domain/rates.js';
import type { Counts, FailedElsewhere } from '../db/batches.js';
import type { FinishedBatch, RunResult } from '../pipeline/run.js';

const scope = (province: string | null) => (province === null ? 'the whole country' : `province ${province}`);

/**
 * `2 CONFLICT`, and when some of them were not read by the batch but hold the number it found for someone it read,
 * how many (else the outcomes add up to more than the people read, and the operator wonders who was counted twice).
 * Not "verified in an earlier batch": a holder may never have been verified (imported with the ĐDCN itself, in a
 * province no run has covered yet).
 */
export const conflictText = (c: Pick<Counts, 'conflict' | 'conflictEarlier'>): string =>
  `${c.conflict} CONFLICT${c.conflictEarlier ? ` (${c.conflictEarlier} of them not read by this batch: holding the number on file)` : ''}`;

/**
 * The answers the batch could not apply, their people's data changed while it ran (an import, a unit's correction):
 * counted in MATCHED and the others as the registry gave them, yet those people are PENDING on file. Said, or a night
 * that says "0 PENDING" and exits 0 has people PENDING in export results, off the lists Mẫu 01 was expected to hold.
 */
export const changedText = (c: Pick<Counts, 'changed'>): string =>
  c.changed ? ` · ${c.changed} not applied (data changed during the batch: the next run verifies ${c.changed === 1 ? 'it' : 'them'})` : '';

const countsOf = (b: Pick<FinishedBatch, 'counts' | 'shared'>) => {
  const c = b.counts;
  return (
    `${c.read} read · ${c.matched} MATCHED · ${c.mismatched} MISMATCHED · ${c.missing} MISSING_ID · ${conflictText(c)} · ` +
    `${c.pending} PENDING · ${c.errors} errors · ${b.shared} shared${changedText(c)}`
  );
};

const how = (b: { resumed: boolean; joined: boolean }) => (b.resumed ? ' (resumed)' : b.joined ? ' (joined)' : '');

/** An open batch of another scope the run finished before its own: one line, printed as soon as it is done. */
export function formatFinishedFirst(b: FinishedBatch): string {
  return `batch ${b.batchId}${how(b)} of ${scope(b.province)} was open and is finished first (${b.seconds.toFixed(1)} s): ${countsOf(b)}`;
}

/**
 * The run's last line on stderr: the batch asked for, or that nothing was left to verify. (Batches of another scope
 * finished first were told on lines of their own, formatFinishedFirst.)
 */
export function formatSummary(r: RunResult, seconds: number): string {
  const other = r.finishedFirst.length > 0;
  return r.batchId === null
    ? `nothing to verify${other ? ` for ${scope(r.province)}` : ''}: every participant is up to date (${seconds.toFixed(1)} s)`
    : `batch ${r.batchId}${how(r)}${other ? ` of ${scope(r.province)}` : ''} done in ${seconds.toFixed(1)} s: ${countsOf(r)}`;
}

/** A share as a percentage with one decimal, rounded down: 5 000 of 5 001 is 99.9 %, never a 100 % that is not. */
export function percentDown(rate: number): string {
  return `${(rateDown(rate) * 100).toFixed(1)} %`;
}

const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;

/** What the next run does while the registry refuses the token. */
const UNTIL_REPLACED = 'the next `ddcn run` fails the same way until the token is replaced.';
/** What the next run does while the registry URL names no registry API. */
const UNTIL_CORRECTED =
  'the next `ddcn run` fails the same way until the registry URL is corrected: set the API\'s base URL in DDCN_REGISTRY_URL (or --registry-url) and run `ddcn run` again.';

/**
 * What became of the people a run could not verify: PENDING, or — those verified before (a unit's correction waiting
 * for verification, a name changed only in capitals) — their last outcome kept, so that they stay on their list.
 */
function pendingOrKept(errors: number, kept: number): string {
  const keep = (n: number) => `${n === 1 ? 'keeps' : 'keep'} ${n === 1 ? 'its' : 'their'} last outcome on the lists`;
  if (kept === 0) return errors === 1 ? 'It is PENDING' : 'They are PENDING';
  if (kept === errors) return `${errors === 1 ? 'It' : 'They'} ${keep(kept)} (verified before)`;
  const pending = errors - kept;
  return `${pending} ${pending === 1 ? 'is' : 'are'} PENDING, ${kept} verified before ${keep(kept)}`;
}

/** What became of the people another process could not verify, as pendingOrKept says it of the run's own. */
function notVerified(n: number, kept: number): string {
  if (kept === 0) return 'left PENDING';
  if (kept === n) return 'not verified, keeping their last outcome';
  return `not verified: ${n - kept} left PENDING, ${kept} keeping their last outcome`;
}

/**
 * The run's message when the registry left people PENDING or shares owed: `what` failed and `why` (the client's own
 * failures), how many, what the next run does, and the failures another process of the batch met (`others`).
 */
export function registryFailureMessage(f: {
  what: string;
  why: string | null;
  errors: number;
  /** Of `errors`, those verified before, who keep their last outcome (and list) until their data is verified. */
  kept?: number;
  shareFailed: number;
  others: FailedElsewhere[];
  tokenRefused?: boolean;
  /** The registry URL has no registry API (HTTP 404/405): every run fails so until it is corrected. */
  addressWrong?: boolean;
}): string {
  const parts: string[] = [];
  // Settings the registry has shown wrong fail every run the same way until they are mended: said instead of "the
  // next run picks them up".
  const until = f.tokenRefused ? UNTIL_REPLACED : f.addressWrong ? UNTIL_CORRECTED : null;
  if (f.errors > 0) {
    const them = f.errors === 1 ? 'it' : 'them';
    const state = pendingOrKept(f.errors, f.kept ?? 0);
    parts.push(
      `${people(f.errors)} could not be verified. ${state}` + (until ? `, and ${until}` : ` and the next \`ddcn run\` picks ${them} up.`),
    );
  }
  // Matched and written; only their shares (Plan I.4) are owed, and the next run sends them.
  if (f.shareFailed > 0) {
    const who = `${f.shareFailed} matched ${f.shareFailed === 1 ? 'person' : 'people'} could not be shared`;
    parts.push(until ? `${who}, and ${until}` : `${who}; the next \`ddcn run\` shares them.`);
  }
  const said = (list: FailedElsewhere[]) =>
    list.map((o) => {
      const what = [];
      if (o.people) what.push(`${people(o.people)} ${notVerified(o.people, o.kept ?? 0)}${o.kinds.length ? ` (${o.kinds.join(', ')})` : ''}`);
      if (o.shareFailed) what.push(`${o.shareFailed} ${o.shareFailed === 1 ? 'share' : 'shares'} not made`);
      return `${o.worker}: ${what.join(', ')}`;
    }).join('; ');
  // Before this run began: the run it resumes (stopped or died), or a worker then; no process to restart for that.
  const before = f.others.filter((o) => o.before);
  if (before.length) parts.push(`Failed before this run began, by the process that then worked on the batch (${said(before)}).`);
  const during = f.others.filter((o) => !o.before);
  if (during.length) {
    parts.push(
      `Failed by another process of this batch (${said(during)}): see its log; a \`ddcn worker\` started with other ` +
        'registry settings than this run (an old token, another URL) fails every chunk it takes, so restart it with the right ones.',
    );
  }
  // A refused token is no outage that passes by itself: said with what to do (the runbook's exit-1 row tells the
  // operator that PENDING people need nothing done, which is not so here).
  if (f.tokenRefused) {
    parts.push(
      'Put the valid token in DDCN_REGISTRY_TOKEN (the settings file, not a command line) and run `ddcn run` again ' +
        '(docs/runbook.md, Rotating the registry token).',
    );
  }
  return `${f.what}${f.why ? ` (${f.why})` : ''}: ${parts.join(' ')}`;
}

/**
 * The line `ddcn lists` and `ddcn export results` add while a batch is open (its run at work, or killed): what the
 * output holds of its people (`holds`), and what to do (`again`, the command to run once it is done).
 */
export function openBatchNote(b: { id: number; phase: string; chunks: number; verified: number; written: number }, holds: string, again: string): string {
  return (
    `batch ${b.id} is not finished (${b.phase}: ${b.verified} of ${b.chunks} chunks verified, ${b.written} written): ${holds}. ` +
    `Let it finish (a killed run: run \`ddcn run\` again with the registry flags it was started with), then ${again}.\n`
  );
}
