import { copyRows } from '../db/copy-rows.js';
import { recordShares, shareCandidatesSql, type ShareCandidate } from '../db/shares.js';
import type { RunDeps } from './deps.js';

const RECORD_EVERY = 10_000;

/**
 * Plan I.4: share matched people's insurance information with the registry, once per person and number.
 * Candidates stream from one query; requests go out `concurrency` at a time; only acknowledged records are
 * recorded, so a failure or a kill here is picked up by the next run.
 */
export async function shareMatched(
  deps: RunDeps,
  batchId: number,
  province: string | null,
  signal?: AbortSignal,
): Promise<{ shared: number; failed: number }> {
  const log = deps.log.child({ stage: 'share', batch: batchId });
  let shared = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  // Acknowledged records are written in a few large transactions rather than one per request. A kill between
  // an acknowledgement and its record only means the registry is told again next run, which it takes as a no-op.
  let acknowledged: ShareCandidate[] = [];
  const flush = async () => {
    if (acknowledged.length === 0) return;
    const batch = acknowledged;
    acknowledged = [];
    const recorded = await deps.db.withTransaction((tx) => recordShares(tx, { batchId, now: deps.now(), shared: batch }));
    shared += recorded;
  };

  const send = (part: ShareCandidate[]) => {
    const p = (async () => {
      let acked: ShareCandidate[] = [];
      try {
        const ids = new Set(
          await deps.registry.share(part.map((c) => ({ requestId: c.maSoBhxh, maSoBhxh: c.maSoBhxh, soDdcn: c.soDdcn, vssid: c.vssid }))),
        );
        acked = part.filter((c) => ids.has(c.maSoBhxh));
        failed += part.length - acked.length;
      } catch (err) {
        log.warn({ err, people: part.length }, 'share request failed; the next run shares these again');
        failed += part.length;
      }
      deps.runProgress?.advance('share', part.length);
      acknowledged.push(...acked);
      if (acknowledged.length >= RECORD_EVERY) await flush();
    })().finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  // The candidates stream from one query: their number is not known ahead, so the bar shows count and rate.
  deps.runProgress?.begin(batchId, 'share', 0);
  await deps.db.withSession(async (session) => {
    let part: ShareCandidate[] = [];
    for await (const [code, ddcn, vssid] of copyRows(session, shareCandidatesSql(province))) {
      // Interrupted: what was acknowledged is recorded below; the rest is shared by the next run.
      if (signal?.aborted) break;
      part.push({ maSoBhxh: code!, soDdcn: ddcn!, vssid: vssid === 't' });
      if (part.length < deps.config.batchSize) continue;
      send(part);
      part = [];
      // Backpressure: stop reading while the registry has enough to do.
      while (inFlight.size >= deps.config.concurrency) await Promise.race(inFlight);
    }
    if (part.length && !signal?.aborted) send(part);
    await Promise.all(inFlight);
    await flush();
  }).finally(() => deps.runProgress?.end());
  log.info({ shared, failed }, 'insurance information shared');
  return { shared, failed };
}
