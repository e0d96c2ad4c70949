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
      serializers: { err: pino.stdSerializers.err },
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
