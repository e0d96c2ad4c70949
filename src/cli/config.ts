import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';

const Env = z.object({
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgres:// URL' }).optional(),
  DDCN_HOME: z.string().default('.ddcn'),
  DDCN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  databaseUrl: string | undefined;
  home: string;
  logLevel: string;
}

/** Environment settings, validated once at start-up so a typo fails with a message instead of mid-run. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse({
    DATABASE_URL: env.DATABASE_URL || undefined,
    DDCN_HOME: env.DDCN_HOME || undefined,
    DDCN_LOG_LEVEL: env.DDCN_LOG_LEVEL || undefined,
  });
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return { databaseUrl: parsed.data.DATABASE_URL, home: path.resolve(parsed.data.DDCN_HOME), logLevel: parsed.data.DDCN_LOG_LEVEL };
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
    return n;
  };
}
