import { z } from 'zod';
import { UsageError } from '../errors.js';

/** The portal's settings from the environment (README, "The portal"), validated when `ddcn serve` starts. */
export interface PortalSettings {
  secureCookies: boolean; // cookies only over HTTPS: set behind a TLS-terminating proxy
  /**
   * Proxies of ours in front of the portal (0: none): the client address is the one the outermost of them saw, the
   * entry of X-Forwarded-For it appended — never the leftmost, which the client writes as it likes.
   */
  trustProxy: number;
  idleMinutes: number; // a session unused this long ends
  lockoutFailures: number; // failed sign-ins in a row that lock an account
  lockoutMinutes: number;
  loginsPerMinute: number; // sign-in attempts per client address
  maxUploadBytes: number;
  maxUploadRows: number;
  /** Connections to PostgreSQL: a page holds one for its few statements, a download for as long as it reads. */
  dbConnections: number;
}

export const DEFAULT_PORTAL_SETTINGS: PortalSettings = {
  secureCookies: false,
  trustProxy: 0,
  idleMinutes: 30,
  lockoutFailures: 5,
  lockoutMinutes: 15,
  loginsPerMinute: 20,
  maxUploadBytes: 5 * 1024 * 1024,
  maxUploadRows: 5_000,
  dbConnections: 10,
};

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
/** A count of proxies: `true` (as before) is one, `false` none. */
const hops = z.union([z.enum(['true', 'false']).transform((v) => (v === 'true' ? 1 : 0)), z.coerce.number().int().min(0).max(9)]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Whole-number settings: their bounds, and what they count, for the message that refuses a wrong value. */
const WHOLE = {
  DDCN_PORTAL_IDLE_MINUTES: [1, 24 * 60, 'minutes'],
  DDCN_PORTAL_LOCKOUT_FAILURES: [1, 100, 'failed sign-ins'],
  DDCN_PORTAL_LOCKOUT_MINUTES: [1, 24 * 60, 'minutes'],
  DDCN_PORTAL_LOGINS_PER_MINUTE: [1, 10_000, 'sign-in attempts'],
  DDCN_PORTAL_MAX_UPLOAD_MB: [1, 100, 'MB'],
  DDCN_PORTAL_MAX_UPLOAD_ROWS: [1, 1_000_000, 'rows'],
  DDCN_PORTAL_DB_CONNECTIONS: [2, 200, 'connections'],
} as const;

const whole = (name: keyof typeof WHOLE) => int(WHOLE[name][0], WHOLE[name][1]).optional();

const Env = z.object({
  DDCN_PORTAL_SECURE_COOKIES: flag.optional(),
  DDCN_PORTAL_TRUST_PROXY: hops.optional(),
  DDCN_PORTAL_IDLE_MINUTES: whole('DDCN_PORTAL_IDLE_MINUTES'),
  DDCN_PORTAL_LOCKOUT_FAILURES: whole('DDCN_PORTAL_LOCKOUT_FAILURES'),
  DDCN_PORTAL_LOCKOUT_MINUTES: whole('DDCN_PORTAL_LOCKOUT_MINUTES'),
  DDCN_PORTAL_LOGINS_PER_MINUTE: whole('DDCN_PORTAL_LOGINS_PER_MINUTE'),
  DDCN_PORTAL_MAX_UPLOAD_MB: whole('DDCN_PORTAL_MAX_UPLOAD_MB'),
  DDCN_PORTAL_MAX_UPLOAD_ROWS: whole('DDCN_PORTAL_MAX_UPLOAD_ROWS'),
  DDCN_PORTAL_DB_CONNECTIONS: whole('DDCN_PORTAL_DB_CONNECTIONS'),
});

/** What a variable takes, said when its value is refused (zod's own words name neither the unit nor the range). */
function expected(name: string): string {
  if (name === 'DDCN_PORTAL_SECURE_COOKIES') return '1 (cookies only over HTTPS, behind a TLS proxy) or 0';
  if (name === 'DDCN_PORTAL_TRUST_PROXY') return 'the number of your own proxies in front of the portal, 0 to 9 (true: 1, false: 0)';
  const [min, max, unit] = WHOLE[name as keyof typeof WHOLE];
  return `a whole number of ${unit} from ${min} to ${max}`;
}

export function portalSettings(env: NodeJS.ProcessEnv = process.env): PortalSettings {
  const raw = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k] || undefined]));
  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new UsageError(names.map((n) => `${n} must be ${expected(n)}, got "${raw[n]}"`).join('; ') + ' (README, Configuration)');
  }
  const e = parsed.data;
  const d = DEFAULT_PORTAL_SETTINGS;
  return {
    secureCookies: e.DDCN_PORTAL_SECURE_COOKIES ?? d.secureCookies,
    trustProxy: e.DDCN_PORTAL_TRUST_PROXY ?? d.trustProxy,
    idleMinutes: e.DDCN_PORTAL_IDLE_MINUTES ?? d.idleMinutes,
    lockoutFailures: e.DDCN_PORTAL_LOCKOUT_FAILURES ?? d.lockoutFailures,
    lockoutMinutes: e.DDCN_PORTAL_LOCKOUT_MINUTES ?? d.lockoutMinutes,
    loginsPerMinute: e.DDCN_PORTAL_LOGINS_PER_MINUTE ?? d.loginsPerMinute,
    maxUploadBytes: (e.DDCN_PORTAL_MAX_UPLOAD_MB ?? 0) * 1024 * 1024 || d.maxUploadBytes,
    maxUploadRows: e.DDCN_PORTAL_MAX_UPLOAD_ROWS ?? d.maxUploadRows,
    dbConnections: e.DDCN_PORTAL_DB_CONNECTIONS ?? d.dbConnections,
  };
}
