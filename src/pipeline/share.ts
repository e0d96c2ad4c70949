import pLimit from 'p-limit';
import { nextShareCandidates, recordShares, type ShareCandidate } from '../db/shares.js';
import type { RunDeps } from './deps.js';

const PAGE = 5_000;

/**
 * Plan I.4: share matched people's insurance information with the registry, once per person and number.
 * Only acknowledged records are recorded, so a failure or a kill here is picked up by the next run.
 */
export async function shareMatched(deps: RunDeps, batchId: number, province: string | null): Promise<{ shared: number; failed: number }> {
  const log = deps.log.child({ stage: 'share', batch: batchId });
  const limit = pLimit(deps.config.concurrency);
  let afterKey = '';
  let shared = 0;
  let failed = 0;
  for (;;) {
    const page = await nextShareCandidates(deps.db, { afterKey, limit: PAGE, province });
    if (page.length === 0) break;
    afterKey = page[page.length - 1]!.maSoBhxh;
    const parts: ShareCandidate[][] = [];
    for (let i = 0; i < page.length; i += deps.config.batchSize) parts.push(page.slice(i, i + deps.config.batchSize));
    const acked = await Promise.all(
      parts.map((part) =>
        limit(async () => {
          try {
            const ids = new Set(
              await deps.registry.share(
                part.map((c) => ({ requestId: c.maSoBhxh, maSoBhxh: c.maSoBhxh, soDdcn: c.soDdcn, vssid: c.vssid })),
              ),
            );
            return part.filter((c) => ids.has(c.maSoBhxh));
          } catch (err) {
            log.warn({ err, people: part.length }, 'share request failed; the next run shares these again');
            failed += part.length;
            return [];
          }
        }),
      ),
    );
    const ok = acked.flat();
    if (ok.length) shared += await deps.db.withTransaction((tx) => recordShares(tx, { batchId, now: deps.now(), shared: ok }));
  }
  log.info({ shared, failed }, 'insurance information shared');
  return { shared, failed };
}
