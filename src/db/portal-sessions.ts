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

/**
 * The signed-in user of a session token, or null when the session is unknown, idle longer than `idleMs`, or its
 * account is disabled. A live session's last-seen time moves on (at most once a minute, to spare writes).
 */
export async function sessionUser(q: Queryable, token: string, now: Date, idleMs: number): Promise<PortalUser | null> {
  const res = await q.query<PortalUser>(
    `WITH s AS (
       UPDATE portal_session s SET last_seen_at = $2::timestamptz
        FROM portal_user u
       WHERE s.token_sha256 = $1::bytea AND u.login = s.login AND NOT u.disabled
         AND s.last_seen_at > $2::timestamptz - make_interval(secs => $3::double precision / 1000)
       RETURNING u.login, u.role, u.ma_tinh, u.ma_huyen, u.ma_don_vi, u.disabled, u.failed_logins, u.locked_until, u.created_at
     )
     SELECT login, role, ma_tinh AS "maTinh", ma_huyen AS "maHuyen", ma_don_vi AS "maDonVi", disabled,
            failed_logins AS "failedLogins", locked_until AS "lockedUntil", created_at AS "createdAt" FROM s`,
    [sha256(token), now, idleMs],
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
    [now, idleMs],
  );
  return res.rowCount ?? 0;
}
