import type { Queryable } from './pool.js';
import type { Role, Scope } from './portal-scope.js';

export interface PortalUser {
  login: string;
  role: Role;
  maTinh: string | null;
  maHuyen: string | null;
  maDonVi: string | null;
  disabled: boolean;
  failedLogins: number;
  lockedUntil: Date | null;
  createdAt: Date;
}

export interface StoredUser extends PortalUser {
  passwordHash: string;
}

const COLUMNS = `login, role, ma_tinh AS "maTinh", ma_huyen AS "maHuyen", ma_don_vi AS "maDonVi", disabled,
  failed_logins AS "failedLogins", locked_until AS "lockedUntil", created_at AS "createdAt"`;

export function scopeOf(u: Pick<PortalUser, 'role' | 'maTinh' | 'maHuyen' | 'maDonVi'>): Scope {
  switch (u.role) {
    case 'national':
      return { role: 'national' };
    case 'province':
      return { role: 'province', maTinh: u.maTinh! };
    case 'district':
      return { role: 'district', maTinh: u.maTinh!, maHuyen: u.maHuyen! };
    case 'unit':
      return { role: 'unit', maDonVi: u.maDonVi! };
  }
}

/** Returns false when the login is taken. */
export async function insertUser(
  q: Queryable,
  u: { login: string; scope: Scope; passwordHash: string; now: Date },
): Promise<boolean> {
  const s = u.scope;
  const res = await q.query(
    `INSERT INTO portal_user (login, role, ma_tinh, ma_huyen, ma_don_vi, password_hash, created_at, password_changed_at)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::timestamptz, $7::timestamptz)
     ON CONFLICT (login) DO NOTHING`,
    [
      u.login, s.role,
      s.role === 'province' || s.role === 'district' ? s.maTinh : null,
      s.role === 'district' ? s.maHuyen : null,
      s.role === 'unit' ? s.maDonVi : null,
      u.passwordHash, u.now,
    ],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function listUsers(q: Queryable): Promise<PortalUser[]> {
  return (await q.query<PortalUser>(`SELECT ${COLUMNS} FROM portal_user ORDER BY login`)).rows;
}

export async function findUser(q: Queryable, login: string, forUpdate = false): Promise<StoredUser | null> {
  const res = await q.query<StoredUser>(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM portal_user WHERE login = $1::text${forUpdate ? ' FOR UPDATE' : ''}`,
    [login],
  );
  return res.rows[0] ?? null;
}

/** Disabling ends the account's sessions in the same transaction. Returns false when there is no such login. */
export async function disableUser(q: Queryable, login: string): Promise<boolean> {
  const res = await q.query(`UPDATE portal_user SET disabled = true WHERE login = $1::text`, [login]);
  await q.query(`DELETE FROM portal_session WHERE login = $1::text`, [login]);
  return (res.rowCount ?? 0) > 0;
}

/** Enabling a disabled account lifts a lock-out too; its password is the one it had. False: no such login. */
export async function enableUser(q: Queryable, login: string): Promise<boolean> {
  const res = await q.query(`UPDATE portal_user SET disabled = false, failed_logins = 0, locked_until = NULL WHERE login = $1::text`, [login]);
  return (res.rowCount ?? 0) > 0;
}

/**
 * A new password ends every session of the account and lifts a lock-out (a disabled account stays disabled).
 * Null when there is no such login.
 */
export async function setPassword(q: Queryable, login: string, passwordHash: string, now: Date): Promise<{ disabled: boolean } | null> {
  const res = await q.query<{ disabled: boolean }>(
    `UPDATE portal_user SET password_hash = $2::text, password_changed_at = $3::timestamptz, failed_logins = 0, locked_until = NULL
      WHERE login = $1::text RETURNING disabled`,
    [login, passwordHash, now],
  );
  await q.query(`DELETE FROM portal_session WHERE login = $1::text`, [login]);
  return res.rows[0] ?? null;
}

/**
 * A failed sign-in: after `maxFailures` in a row the account is locked until `lockUntil`. A lock-out that is over
 * (`locked_until` passed `now`) starts the count again: the failures it was for have been paid for, and the account
 * has its `maxFailures` tries again, not one wrong password and another lock-out. True when this failure locks it.
 */
export async function recordFailedLogin(q: Queryable, login: string, maxFailures: number, now: Date, lockUntil: Date): Promise<boolean> {
  // One UPDATE of the row alone, its new values computed from the row itself (the caller holds it: findUser FOR
  // UPDATE), so that it stays right whoever calls it without that lock.
  const over = `(locked_until IS NOT NULL AND locked_until <= $3::timestamptz)`;
  const failures = `CASE WHEN ${over} THEN 1 ELSE failed_logins + 1 END`;
  const res = await q.query<{ locked: boolean }>(
    `UPDATE portal_user SET failed_logins = ${failures},
            locked_until = CASE WHEN ${failures} >= $2::int THEN $4::timestamptz WHEN ${over} THEN NULL ELSE locked_until END
      WHERE login = $1::text
      RETURNING failed_logins >= $2::int AS locked`,
    [login, maxFailures, now, lockUntil],
  );
  return res.rows[0]?.locked ?? false;
}

export async function recordGoodLogin(q: Queryable, login: string): Promise<void> {
  await q.query(`UPDATE portal_user SET failed_logins = 0, locked_until = NULL WHERE login = $1::text`, [login]);
}
