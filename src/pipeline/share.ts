import { recordShares, shareCandidates, type ShareCandidate } from '../db/shares.js';
import { failsTheStep, type StepFailure } from '../adapters/shared-cap.js';
import type { RunDeps } from './deps.js';
import { FailedRequests } from './failed-requests.js';

const RECORD_EVERY = 10_000;

export interface ShareScope {
  batchId: number;
  province: string | null;
  /** Codes after `after` up to `upTo` (either end open when null): one chunk's share step. */
  after: string | null;
  upTo: string | null;
}

/**
 * Plan I.4: share matched people's insurance information with the registry, once per person and number.
 * Candidates stream from one query; requests go out `concurrency` at a time; only acknowledged records are
 * recorded, so a failure or a kill here is picked up by the next run.
 */
export async function shareMatched(deps: RunDeps, scope: ShareScope): Promise<{ shared: number; failed: number }> {
  const { batchId, province } = scope;
  const log = deps.log; // the chunk step's logger (chunk-work.ts): it names the batch, the chunk and the stage
  let shared = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  // Acknowledged records are written in a few large transactions rather than one per request. A kill between
  // an acknowledgement and its record only means the registry is told again next run, which it takes as a no-op.
  let acknowledged: ShareCandidate[] = [];
  // Stryker disable next-line LogicalOperator: which threshold applies decides only how many transactions record the shares (below)
  const recordEvery = deps.config.recordSharesEvery ?? RECORD_EVERY;
  const flush = async () => {
    // Stryker disable next-line ConditionalExpression: a shortcut: recording no share is an empty INSERT that counts 0
    if (acknowledged.length === 0) return;
    const batch = acknowledged;
    acknowledged = [];
    const recorded = await deps.db.withTransaction((tx) => recordShares(tx, { batchId, now: deps.now(), shared: batch }));
    shared += recorded;
  };

  const failures = new FailedRequests(log, 'share');
  let gateFailed: StepFailure | undefined;
  const send = (part: ShareCandidate[]) => {
    const p = (async () => {
      let acked: ShareCandidate[] = [];
      try {
        const ids = new Set(
          await deps.registry.share(part.map((c) => ({ requestId: c.maSoBhxh, maSoBhxh: c.maSoBhxh, soDdcn: c.soDdcn, vssid: c.vssid }))),
        );
        acked = part.filter((c) => ids.has(c.maSoBhxh));
        deps.runProgress?.advance('share', part.length);
        failed += part.length - acked.length;
      } catch (err) {
        // The database failed before the registry was asked, or the process is stopping (the adapter closed): thrown
        // once the requests in flight are in (below), not counted as shares that failed.
        if (failsTheStep(err)) gateFailed ??= err;
        else {
          failures.add(err, part.length);
          failed += part.length;
        }
      }
      acknowledged.push(...acked);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: how many transactions record the acknowledged shares, not which: each once either way (a kill in between only has the next run tell the registry again)
      if (acknowledged.length >= recordEvery) await flush();
    })().finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  await deps.db.withSession(async (session) => {
    let part: ShareCandidate[] = [];
    for await (const candidate of shareCandidates(session, province, { after: scope.after, upTo: scope.upTo })) {
      part.push(candidate);
      if (part.length < deps.config.batchSize) continue;
      send(part);
      part = [];
      // Backpressure: stop reading while the registry has enough to do.
      while (inFlight.size >= deps.config.concurrency) await Promise.race(inFlight);
    }
    if (part.length) send(part);
    await Promise.all(inFlight);
    await flush();
  });
  // The step fails and is retried: what the registry acknowledged is recorded (above), the rest is shared again.
  if (gateFailed) throw gateFailed;
  failures.warn('the next run shares these again');
  log.debug({ shared, failed, after: scope.after, upTo: scope.upTo }, 'insurance information shared');
  return { shared, failed };
}
