import type { Queryable } from './pool.js';

/**
 * Counts one sign-in attempt from `ip` in the minute of `now` and returns the attempts of that minute so far,
 * this one included; the minutes before the last one are dropped on the way (migration 0018). One statement, so
 * attempts at once from several processes are all counted.
 */
export async function countLoginAttempt(q: Queryable, ip: string, now: Date): Promise<number> {
  const res = await q.query<{ attempts: number }>(
    `WITH old AS (DELETE FROM portal_login_attempt WHERE minute < date_trunc('minute', $2::timestamptz) - interval '1 minute')
     INSERT INTO portal_login_attempt AS a (ip, minute, attempts) VALUES ($1::text, date_trunc('minute', $2::timestamptz), 1)
     ON CONFLICT (ip, minute) DO UPDATE SET attempts = a.attempts + 1
     RETURNING a.attempts`,
    [ip, now],
  );
  return res.rows[0]!.attempts;
}
