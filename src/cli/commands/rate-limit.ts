import type { Db } from '../../db/pool.js';
import type { Logger } from '../../log.js';
import { reportRateLimited } from '../../adapters/shared-cap.js';
import type { HttpRegistryHooks } from '../../adapters/http.js';

/** A 429 seen by this process slows every worker of the batch down: its wait is recorded on the open batch. */
export function rateLimitHooks(db: Db, log: Logger): HttpRegistryHooks {
  return {
    onRateLimited: (waitMs) => {
      reportRateLimited(db, waitMs).catch((err: unknown) => log.warn({ err }, 'could not record the registry\'s 429 on the batch'));
    },
  };
}
