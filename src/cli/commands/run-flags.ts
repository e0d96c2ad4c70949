// The flags `ddcn run` and `ddcn worker` share: the registry, the registry's pace, and the job engine's timing.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_RUN_CONFIG } from '../../pipeline/deps.js';
import { DEFAULT_TAKEOVER_SECONDS, WRITE_LOOPS } from '../../db/jobs.js';
import { UsageError } from '../../errors.js';
import { positiveInt } from '../config.js';
import { MAX_PEOPLE_PER_REQUEST } from '../../adapters/http-wire.js';
import { REGISTRY_KINDS, type RegistryOptions } from '../registry.js';

export interface SharedRunOptions extends RegistryOptions {
  batchSize: number;
  concurrency: number;
  workers: number;
}

/**
 * `who`: a worker sends requests of the size its batch was started with (`ddcn run --batch-size`, kept with the
 * batch): its `--batch-size` is hidden and said to be ignored (registerWorker), rather than listed and silently
 * without effect.
 */
export function addRegistryFlags(cmd: Command, who: 'run' | 'worker' = 'run'): Command {
  const size = new Option('--batch-size <n>', `people per registry request (at most ${MAX_PEOPLE_PER_REQUEST})`).argParser(batchSize).default(DEFAULT_RUN_CONFIG.batchSize);
  return cmd
    .addOption(new Option('--registry <kind>', 'registry adapter (env DDCN_REGISTRY): http, the population registry API; file, the file exchange; mock, a test double reading --registry-data').choices([...REGISTRY_KINDS]))
    .option('--registry-data <file>', 'mock registry data (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)')
    .option('--registry-url <url>', 'http: base URL of the registry API (env DDCN_REGISTRY_URL)')
    .option('--registry-token <token>', 'http: bearer token (env DDCN_REGISTRY_TOKEN, preferred: flags show in ps)')
    .option('--registry-timeout <ms>', 'http: per-request timeout in ms (env DDCN_REGISTRY_TIMEOUT_MS; default 10000)')
    .option('--registry-retries <n>', 'http: retries per request (env DDCN_REGISTRY_RETRIES; default 5)')
    .option('--outbox <dir>', 'file: folder for request files (env DDCN_REGISTRY_OUTBOX)')
    .option('--inbox <dir>', 'file: folder the answer files arrive in (env DDCN_REGISTRY_INBOX)')
    .addOption(who === 'worker' ? size.hideHelp() : size)
    .option('--concurrency <n>', 'registry requests in flight from this process', positiveInt('--concurrency'), DEFAULT_RUN_CONFIG.concurrency)
    // What --workers N means in README, "Running a batch": N chunk loops, and N or 2 loops for the database's steps.
    .option(
      '--workers <n>',
      'chunks this process works on at once: N for verifying and sharing over HTTP; N or 2, whichever is more, for the steps ' +
        'the database does (writing the ĐDCN, and verifying and sharing with the mock or the file exchange)',
      positiveInt('--workers'),
      1,
    );
}

const whole = z.coerce.number().int().positive();

/** --registry-max-in-flight, else DDCN_REGISTRY_MAX_IN_FLIGHT, else no cap. */
export function maxInFlight(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | null {
  const given = flag ?? (env.DDCN_REGISTRY_MAX_IN_FLIGHT?.trim() || undefined);
  if (given === undefined) return null;
  const n = whole.safeParse(given);
  if (!n.success) throw new UsageError(`--registry-max-in-flight / DDCN_REGISTRY_MAX_IN_FLIGHT must be a positive whole number, got "${given}"`);
  return n.data;
}

/** DDCN_TAKEOVER_SECONDS: how soon a dead worker's chunk is taken up by another (default 120). */
export function takeoverSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return wholeSeconds(env, 'DDCN_TAKEOVER_SECONDS', 4, DEFAULT_TAKEOVER_SECONDS);
}

export const DEFAULT_ANSWER_SECONDS = 30;

/** `DDCN_DATABASE_ANSWER_SECONDS`: how long the database may go without answering a run's or worker's watch. */
export function answerSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return wholeSeconds(env, 'DDCN_DATABASE_ANSWER_SECONDS', 1, DEFAULT_ANSWER_SECONDS);
}

/** A setting of whole seconds from the environment, at least `min`; `fallback` when unset or blank. */
function wholeSeconds(env: NodeJS.ProcessEnv, name: string, min: number, fallback: number): number {
  const given = env[name]?.trim();
  if (!given) return fallback;
  const n = whole.safeParse(given);
  if (!n.success || n.data < min) throw new UsageError(`${name} must be a whole number of seconds, at least ${min}, got "${given}"`);
  return n.data;
}

/**
 * The registry API takes at most MAX_PEOPLE_PER_REQUEST people a request (413 beyond): a larger request would be
 * refused every time, each run leaving everyone PENDING. A usage error at once instead.
 */
function batchSize(value: string): number {
  const n = positiveInt('--batch-size')(value);
  if (n > MAX_PEOPLE_PER_REQUEST) throw new UsageError(`--batch-size ${n} is more than the registry takes in one request (at most ${MAX_PEOPLE_PER_REQUEST} people)`);
  return n;
}

/**
 * Connections this process needs: per loop (its --workers, and at least WRITE_LOOPS for WRITE_QUEUE's steps)
 * a transaction and a streamed read (sharing), per capped registry request one session holding its slot, and two
 * for the job engine and the run's own look at the batch.
 */
export const poolSizeFor = (o: { workers: number; concurrency: number }): number =>
  (o.workers + Math.max(o.workers, WRITE_LOOPS)) * 2 + o.concurrency + 2;
