import pino, { type Logger } from 'pino';

export type { Logger };

// Personal data must never reach a log line. Stages log codes and counts only; this is the safety net
// for an object that slips through (any depth up to two levels, camelCase and snake_case spellings).
// (`name` itself is pino's logger name, so it is not in the list.)
const PERSONAL = ['ho_ten', 'hoTen', 'ngay_sinh', 'ngaySinh', 'so_giay_to', 'soGiayTo', 'so_ddcn', 'soDdcn', 'so_cmnd', 'soCmnd', 'email', 'dob'];
export const REDACT_PATHS = [...PERSONAL, ...PERSONAL.map((k) => `*.${k}`), ...PERSONAL.map((k) => `*.*.${k}`)];

export function createLogger(level = 'info', destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      name: 'ddcn',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: (err: Error) => pino.stdSerializers.err(withoutData(err) as Error) },
    },
    destination,
  );
}

/**
 * The level of a command's logger. A level asked for (`--log-level`, `DDCN_LOG_LEVEL`) is used as asked. Otherwise,
 * when stderr is a terminal, a person is reading it: the JSON lines would drown the human ones (summary, progress),
 * so only warnings and errors are shown. Under cron or a pipe the configured default (info) is kept for the record.
 */
export function cliLogLevel(asked: string | undefined, configured: string, stderrIsTTY = Boolean(process.stderr.isTTY)): string {
  return asked ?? (stderrIsTTY ? 'warn' : configured);
}

// A PostgreSQL error (node-pg's DatabaseError) carries the server's own account of where it happened, and that
// quotes the data: `detail` (`Key (so_ddcn)=(…) already exists`, `Failing row contains (…)`), `where` (`COPY
// verification, line 3, column detail: "{…the registry's name…}"`, `JSON data, line 1: …`), `hint` and
// `internalQuery`. A data exception's message (SQLSTATE class 22) quotes the value it could not read (`invalid input
// syntax for type date: "…"`). Serialised whole, these went into the log lines and into the job engine's table
// (pg-boss stores a failed job's error in pgboss.job.output) with names and ID numbers in them.
const VALUE_FIELDS = new Set(['detail', 'where', 'hint', 'internalQuery']);

function databaseError(err: object): err is Error & { code: string; severity: string } {
  const e = err as { code?: unknown; severity?: unknown };
  return err instanceof Error && typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/**
 * The error as it may be logged or stored: a PostgreSQL error without the fields that quote data (its code, severity,
 * table, column and constraint stay), the quoted values of a data exception's message masked, and the same for the
 * errors it was caused by. The original is left as it is (callers still read its fields); a copy of the same class is
 * returned, or the error itself when nothing in it quotes data.
 */
export function withoutData(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 8) return err;
  const cause = (err as { cause?: unknown }).cause;
  const scrubbedCause = cause === undefined ? undefined : withoutData(cause, depth + 1);
  const isDb = databaseError(err);
  if (!isDb && scrubbedCause === cause) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  for (const key of Reflect.ownKeys(err)) {
    if (isDb && typeof key === 'string' && VALUE_FIELDS.has(key)) continue;
    Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(err, key)!);
  }
  if (cause !== undefined) Object.defineProperty(copy, 'cause', { value: scrubbedCause, enumerable: Object.getOwnPropertyDescriptor(err, 'cause')?.enumerable ?? false, writable: true, configurable: true });
  if (isDb && err.code.startsWith('22')) {
    const message = err.message.replace(/"(?:[^"]|"")*"/g, '"…"');
    Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true, configurable: true });
    if (typeof err.stack === 'string') Object.defineProperty(copy, 'stack', { value: err.stack.split(err.message).join(message), enumerable: false, writable: true, configurable: true });
  }
  return copy;
}
