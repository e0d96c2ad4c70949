import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../db/pool.js';
import type { Logger } from '../log.js';
import { databaseDirectory } from '../adapters/directory.js';
import { MockRegistry } from '../adapters/mock.js';
import { HttpRegistry, DEFAULT_HTTP_SETTINGS, type HttpRegistryHooks, type HttpRegistrySettings } from '../adapters/http.js';
import { DEFAULT_MAX_ANSWER_BYTES } from '../adapters/http-body.js';
import { FileExchangeRegistry, DEFAULT_ANSWER_DUE_HOURS, DEFAULT_RESEND_AFTER_HOURS, type FileExchangeSettings } from '../adapters/file-exchange.js';
import type { RegistryAdapter } from '../adapters/types.js';
import { UsageError } from '../errors.js';

export const REGISTRY_KINDS = ['http', 'file', 'mock'] as const;

export interface RegistryOptions {
  registry?: string;
  registryData?: string;
  registryUrl?: string;
  registryToken?: string;
  registryTimeout?: string;
  registryRetries?: string;
  outbox?: string;
  inbox?: string;
  concurrency?: number;
}

export type RegistrySettings =
  | { kind: 'mock'; data: string }
  | { kind: 'http'; http: HttpRegistrySettings }
  | { kind: 'file'; file: FileExchangeSettings };

const whole = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`);

// Each setting: the flag when given, else the environment variable, else the default. The messages name both.
const HttpSettings = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  token: z.string().min(1).regex(/^\S+$/, 'must not contain spaces').optional(),
  timeoutMs: whole(1, 600_000).default(DEFAULT_HTTP_SETTINGS.timeoutMs),
  retries: whole(0, 20).default(DEFAULT_HTTP_SETTINGS.retry.retries),
  backoffMs: whole(1, 600_000).default(DEFAULT_HTTP_SETTINGS.retry.baseMs),
  backoffMaxMs: whole(1, 3_600_000).default(DEFAULT_HTTP_SETTINGS.retry.maxMs),
  retryAfterMaxMs: whole(0, 3_600_000).default(DEFAULT_HTTP_SETTINGS.retry.maxRetryAfterMs),
  breakerFailures: whole(1, 1000).default(DEFAULT_HTTP_SETTINGS.breaker.failureThreshold),
  breakerCooldownMs: whole(0, 86_400_000).default(DEFAULT_HTTP_SETTINGS.breaker.cooldownMs),
  maxAnswerBytes: whole(1024, 1024 ** 3).default(DEFAULT_MAX_ANSWER_BYTES),
});

const NAMES: Record<string, string> = {
  url: '--registry-url / DDCN_REGISTRY_URL',
  token: '--registry-token / DDCN_REGISTRY_TOKEN',
  timeoutMs: '--registry-timeout / DDCN_REGISTRY_TIMEOUT_MS',
  retries: '--registry-retries / DDCN_REGISTRY_RETRIES',
  backoffMs: 'DDCN_REGISTRY_BACKOFF_MS',
  backoffMaxMs: 'DDCN_REGISTRY_BACKOFF_MAX_MS',
  retryAfterMaxMs: 'DDCN_REGISTRY_RETRY_AFTER_MAX_MS',
  breakerFailures: 'DDCN_REGISTRY_BREAKER_FAILURES',
  breakerCooldownMs: 'DDCN_REGISTRY_BREAKER_COOLDOWN_MS',
  maxAnswerBytes: 'DDCN_REGISTRY_MAX_ANSWER_BYTES',
  outbox: '--outbox / DDCN_REGISTRY_OUTBOX',
  inbox: '--inbox / DDCN_REGISTRY_INBOX',
  resendAfterHours: 'DDCN_REGISTRY_RESEND_AFTER_HOURS',
  answerDueHours: 'DDCN_REGISTRY_ANSWER_DUE_HOURS',
};

const hours = (fallback: number) =>
  z.coerce.number({ error: 'must be a number of hours' }).positive('must be more than 0').max(24 * 365, 'must be at most a year').default(fallback);

const FileSettings = z
  .object({
    outbox: z.string().min(1),
    inbox: z.string().min(1),
    resendAfterHours: hours(DEFAULT_RESEND_AFTER_HOURS),
    answerDueHours: hours(DEFAULT_ANSWER_DUE_HOURS),
  })
  .refine((s) => path.resolve(s.outbox) !== path.resolve(s.inbox), { message: 'must be different folders', path: ['inbox'] });

function fail(kind: string, error: z.ZodError, given: Record<string, unknown>): never {
  const lines = error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    return `${NAMES[key] ?? key}: ${given[key] === undefined ? 'is required' : i.message}`;
  });
  throw new UsageError(`--registry ${kind}: ${lines.join('; ')}`);
}

const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

/** One of the file exchange's hour settings alone, read as its settings read it (`ddcn batch status`), in ms. */
function hoursSetting(env: NodeJS.ProcessEnv, name: string, key: 'resendAfterHours' | 'answerDueHours', fallback: number): number {
  const given = { [key]: blank(env[name]) };
  const parsed = z.object({ [key]: hours(fallback) }).safeParse(given);
  if (!parsed.success) fail('file', parsed.error, given);
  return (parsed.data[key] as number) * 3_600_000;
}

/** DDCN_REGISTRY_ANSWER_DUE_HOURS alone. */
export const answerDueMs = (env: NodeJS.ProcessEnv = process.env): number =>
  hoursSetting(env, 'DDCN_REGISTRY_ANSWER_DUE_HOURS', 'answerDueHours', DEFAULT_ANSWER_DUE_HOURS);

/** DDCN_REGISTRY_RESEND_AFTER_HOURS alone. */
export const resendAfterMs = (env: NodeJS.ProcessEnv = process.env): number =>
  hoursSetting(env, 'DDCN_REGISTRY_RESEND_AFTER_HOURS', 'resendAfterHours', DEFAULT_RESEND_AFTER_HOURS);

/** Registry settings from flags and environment, validated before anything starts, so a typo fails at once. */
export function registrySettings(opts: RegistryOptions, env: NodeJS.ProcessEnv = process.env): RegistrySettings {
  // No default: the mock is a test double, and a nightly job that silently ran against it would "verify" nobody.
  const fromEnv = opts.registry === undefined ? blank(env.DDCN_REGISTRY)?.trim() : undefined;
  if (fromEnv !== undefined && !(REGISTRY_KINDS as readonly string[]).includes(fromEnv)) {
    throw new UsageError(`DDCN_REGISTRY: unknown registry "${fromEnv}"; use --registry http, file or mock`);
  }
  opts = { ...opts, registry: opts.registry ?? fromEnv };
  if (opts.registry === undefined) {
    throw new UsageError(
      'choose the registry: --registry http (the population registry API), --registry file (the file exchange) or ' +
        '--registry mock --registry-data FILE (a test double); or set DDCN_REGISTRY',
    );
  }
  const stray = (
    [
      ['--registry-data', opts.registryData, 'mock'], ['--registry-url', opts.registryUrl, 'http'], ['--registry-token', opts.registryToken, 'http'],
      ['--registry-timeout', opts.registryTimeout, 'http'], ['--registry-retries', opts.registryRetries, 'http'],
      ['--outbox', opts.outbox, 'file'], ['--inbox', opts.inbox, 'file'],
    ] as const
  ).find(([, value, kind]) => value !== undefined && kind !== opts.registry);
  if (stray) throw new UsageError(`${stray[0]} belongs to --registry ${stray[2]}, but the registry is ${opts.registry}`);
  switch (opts.registry) {
    case 'mock': {
      if (!opts.registryData) throw new UsageError('--registry mock needs --registry-data FILE (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)');
      if (!existsSync(opts.registryData)) throw new UsageError(`--registry-data: no such file ${opts.registryData}`);
      return { kind: 'mock', data: opts.registryData };
    }
    case 'http': {
      const given = {
        url: blank(opts.registryUrl) ?? blank(env.DDCN_REGISTRY_URL),
        token: blank(opts.registryToken) ?? blank(env.DDCN_REGISTRY_TOKEN),
        timeoutMs: blank(opts.registryTimeout) ?? blank(env.DDCN_REGISTRY_TIMEOUT_MS),
        retries: blank(opts.registryRetries) ?? blank(env.DDCN_REGISTRY_RETRIES),
        backoffMs: blank(env.DDCN_REGISTRY_BACKOFF_MS),
        backoffMaxMs: blank(env.DDCN_REGISTRY_BACKOFF_MAX_MS),
        retryAfterMaxMs: blank(env.DDCN_REGISTRY_RETRY_AFTER_MAX_MS),
        breakerFailures: blank(env.DDCN_REGISTRY_BREAKER_FAILURES),
        breakerCooldownMs: blank(env.DDCN_REGISTRY_BREAKER_COOLDOWN_MS),
        maxAnswerBytes: blank(env.DDCN_REGISTRY_MAX_ANSWER_BYTES),
      };
      const parsed = HttpSettings.safeParse(given);
      if (!parsed.success) fail('http', parsed.error, given);
      const s = parsed.data;
      return {
        kind: 'http',
        http: {
          url: s.url,
          token: s.token,
          timeoutMs: s.timeoutMs,
          concurrency: opts.concurrency ?? DEFAULT_HTTP_SETTINGS.concurrency,
          maxAnswerBytes: s.maxAnswerBytes,
          retry: { ...DEFAULT_HTTP_SETTINGS.retry, retries: s.retries, baseMs: s.backoffMs, maxMs: s.backoffMaxMs, maxRetryAfterMs: s.retryAfterMaxMs },
          breaker: { failureThreshold: s.breakerFailures, cooldownMs: s.breakerCooldownMs },
        },
      };
    }
    case 'file': {
      const given = {
        outbox: blank(opts.outbox) ?? blank(env.DDCN_REGISTRY_OUTBOX),
        inbox: blank(opts.inbox) ?? blank(env.DDCN_REGISTRY_INBOX),
        resendAfterHours: blank(env.DDCN_REGISTRY_RESEND_AFTER_HOURS),
        answerDueHours: blank(env.DDCN_REGISTRY_ANSWER_DUE_HOURS),
      };
      const parsed = FileSettings.safeParse(given);
      if (!parsed.success) fail('file', parsed.error, given);
      const d = parsed.data;
      return {
        kind: 'file',
        file: { outbox: path.resolve(d.outbox), inbox: path.resolve(d.inbox), resendAfterMs: d.resendAfterHours * 3_600_000, answerDueMs: d.answerDueHours * 3_600_000 },
      };
    }
    default:
      throw new UsageError(`unknown registry "${opts.registry}"; use --registry mock, http or file`);
  }
}

/** Builds the registry adapter chosen on the command line. */
export async function buildRegistry(
  opts: RegistryOptions | RegistrySettings,
  db: Db,
  log: Logger,
  now: () => Date = () => new Date(),
  hooks: HttpRegistryHooks = {},
): Promise<RegistryAdapter> {
  const settings = 'kind' in opts ? opts : registrySettings(opts);
  switch (settings.kind) {
    case 'mock': {
      const started = Date.now();
      const dir = await databaseDirectory(db, settings.data);
      if (dir.loaded) log.info({ stage: 'registry', seconds: (Date.now() - started) / 1000, skipped: dir.skipped }, 'mock registry data loaded');
      return new MockRegistry(dir);
    }
    case 'http':
      return new HttpRegistry(settings.http, log, hooks);
    case 'file':
      return FileExchangeRegistry.open(settings.file, db, log, now);
  }
}
