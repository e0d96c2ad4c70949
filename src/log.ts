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
