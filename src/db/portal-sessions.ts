import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './pool.js';
import type { PortalUser } from './portal-users.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest();

/** A new session for `login`; returns the token for the cookie (only its hash is stored). */
export async function createSession(q: Queryable, login: string, now: Date, ip: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await q.query(
    `INSERT INTO portal_session (token_sha256, login, created_at, last_seen_at, ip) VALUES ($1::bytea, $2::text, $3::timestamptz, $3::timestamptz, $4::text)`,
    [sha256(token), login, now, ip],
  );
  return token;
}

/** A session's last-seen time is written again only once it is this old: most requests then write nothing. */
export const TOUCH_EVERY_MS = 60_000;

/** How old a session's last-seen time may grow before it is written again: a minute, or half a shorter timeout. */
const touchEvery = (idleMs: number) => Math.min(TOUCH_EVERY_MS, idleMs / 2);

/**
 * How long after its last-seen time a session ends: the timeout, and the time a last use may lie after the last-seen
 * time written (touchEvery). A session so lasts at least the timeout after it was last used, and at most that long
 * and a minute (half of a timeout under two minutes).
 */
const lifetimeMs = (idleMs: number) => idleMs + touchEvery(idleMs);

/**
 * The signed-in user of a session token, or null when the session is unknown, idle longer than `idleMs` (see
 * lifetimeMs), or its account is disabled. A live session's last-seen time moves on at most once a minute: a request
 * that would move it by less reads only, so it needs no commit to disk.
 */
export async function sessionUser(q: Queryable, token: string, now: Date, idleMs: number): Promise<PortalUser | null> {
  const res = await q.query<PortalUser>(
    `WITH s AS (
       SELECT s.token_sha256, s.last_seen_at, u.login, u.role, u.ma_tinh, u.ma_huyen, u.ma_don_vi, u.disabled, u.failed_logins, u.locked_until, u.created_at
         FROM portal_session s JOIN portal_user u ON u.login = s.login
        WHERE s.token_sha256 = $1::bytea AND NOT u.disabled
          AND s.last_seen_at > $2::timestamptz - make_interval(secs => $3::double precision / 1000)
     ), touched AS (
       UPDATE portal_session t SET last_seen_at = $2::timestamptz
         FROM s WHERE t.token_sha256 = s.token_sha256 AND s.last_seen_at <= $2::timestamptz - make_interval(secs => $4::double precision / 1000)
     )
     SELECT login, role, ma_tinh AS "maTinh", ma_huyen AS "maHuyen", ma_don_vi AS "maDonVi", disabled,
            failed_logins AS "failedLogins", locked_until AS "lockedUntil", created_at AS "createdAt" FROM s`,
    [sha256(token), now, lifetimeMs(idleMs), touchEvery(idleMs)],
  );
  return res.rows[0] ?? null;
}

export async function deleteSession(q: Queryable, token: string): Promise<void> {
  await q.query(`DELETE FROM portal_session WHERE token_sha256 = $1::bytea`, [sha256(token)]);
}

/** Sessions idle past the timeout are of no use; removed now and then by the server. */
export async function deleteIdleSessions(q: Queryable, now: Date, idleMs: number): Promise<number> {
  const res = await q.query(
    `DELETE FROM portal_session WHERE last_seen_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000)`,
    [now, lifetimeMs(idleMs)],
  );
  return res.rowCount ?? 0;
}
