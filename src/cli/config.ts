import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';

const PLAN_YEAR = 'DDCN_PLAN_YEAR must be the year of the milestones of Mẫu 03 (60 % by 30/6 … 100 % by 31/12), a year from 2022 to 2100, e.g. 2026';

const DATABASE_URL = 'DATABASE_URL must be a postgres:// URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)';

const Env = z.object({
  // The scheme too: `mysql://h/db` or `http://h:5432/db` was taken, and the connection to it failed as a database not
  // answering (exit 1, "check that the server is running"), rather than as the setting it is (exit 2).
  DATABASE_URL: z
    .string()
    .url({ message: DATABASE_URL })
    // node-postgres's own form for a Unix socket (`socket:/var/run/postgresql?db=ddcn`) is a PostgreSQL address too.
    .refine((u) => /^(postgres(ql)?:\/\/|socket:)/i.test(u), { message: DATABASE_URL })
    .optional(),
  DDCN_HOME: z.string().default('.ddcn'),
  DDCN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // From the plan's own year (Plan 2207 is of 2022): a year outside is a typo, and would date every milestone wrong.
  DDCN_PLAN_YEAR: z.coerce
    .number({ message: PLAN_YEAR })
    .int({ message: PLAN_YEAR })
    .min(2022, { message: PLAN_YEAR })
    .max(2100, { message: PLAN_YEAR })
    .optional(),
});

export interface Config {
  databaseUrl: string | undefined;
  home: string;
  logLevel: string;
  planYear: number | undefined; // unset: the year of the first participants import (src/pipeline/progress-report.ts)
}

/** Environment settings, validated once at start-up so a typo fails with a message instead of mid-run. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse({
    DATABASE_URL: env.DATABASE_URL || undefined,
    DDCN_HOME: env.DDCN_HOME || undefined,
    DDCN_LOG_LEVEL: env.DDCN_LOG_LEVEL || undefined,
    DDCN_PLAN_YEAR: env.DDCN_PLAN_YEAR?.trim() || undefined,
  });
  if (!parsed.success) {
    // A message of our own names its variable already (`DDCN_PLAN_YEAR must be …`); zod's own words do not.
    const said = (i: { path: PropertyKey[]; message: string }) => {
      const name = i.path.map(String).join('.');
      return i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
    };
    throw new UsageError([...new Set(parsed.error.issues.map(said))].join('; '));
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    home: path.resolve(parsed.data.DDCN_HOME),
    logLevel: parsed.data.DDCN_LOG_LEVEL,
    planYear: parsed.data.DDCN_PLAN_YEAR,
  };
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
    return n;
  };
}
