import type { Db } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { RegistryAdapter } from '../adapters/types.js';
import type { Progress } from '../progress.js';
import type { RunProgress } from '../run-progress.js';

export interface RunConfig {
  chunkSize: number; // people per chunk: one transaction each
  batchSize: number; // people per registry request
  concurrency: number; // registry requests in flight
  /** Acknowledged shares recorded per transaction (default 10 000); tests make it small to cross it. */
  recordSharesEvery?: number;
}

export const DEFAULT_RUN_CONFIG: RunConfig = { chunkSize: 10_000, batchSize: 500, concurrency: 4 };

/** Built once by the CLI (or a test) and handed to every stage. */
export interface Deps {
  db: Db;
  log: Logger;
  now: () => Date;
  /** The year of Mẫu 03's milestones (DDCN_PLAN_YEAR); unset: the year of the first participants import. */
  planYear?: number;
  progress?: Progress;
  /** `ddcn run`'s progress: people per stage (verify, write, share). */
  runProgress?: RunProgress;
}

export interface RunDeps extends Deps {
  registry: RegistryAdapter;
  config: RunConfig;
}
