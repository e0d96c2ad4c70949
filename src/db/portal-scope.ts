// The one place that decides what a portal user may see. Every portal query that reads people, units, files or
// figures takes a Scope and puts `scopeCondition` into its WHERE; nothing in src/portal builds a WHERE on the
// codes itself. (Why a layer and not row-level security: README, "The portal".)

export type Scope =
  | { role: 'national' }
  | { role: 'province'; maTinh: string }
  | { role: 'district'; maTinh: string; maHuyen: string }
  | { role: 'unit'; maDonVi: string };

export type Role = Scope['role'];
export const ROLES: readonly Role[] = ['national', 'province', 'district', 'unit'];

/**
 * SQL that holds for rows of `alias` inside the scope. `alias` is a participant or a unit: both carry ma_tinh,
 * ma_huyen and ma_don_vi. The scope's codes are appended to `params` and referenced by number, never inlined.
 */
export function scopeCondition(scope: Scope, alias: string, params: unknown[]): string {
  const p = (v: string) => {
    params.push(v);
    return `$${params.length}::text`;
  };
  switch (scope.role) {
    case 'national':
      return 'true';
    case 'province':
      return `${alias}.ma_tinh = ${p(scope.maTinh)}`;
    case 'district':
      return `(${alias}.ma_tinh = ${p(scope.maTinh)} AND ${alias}.ma_huyen = ${p(scope.maHuyen)})`;
    case 'unit':
      return `${alias}.ma_don_vi = ${p(scope.maDonVi)}`;
  }
}

/** What `ddcn report progress` and `ddcn lists` take as their filter, for the same scope. */
export function scopeProvince(scope: Scope): string | null {
  return scope.role === 'province' || scope.role === 'district' ? scope.maTinh : null;
}

/** The district filter within scopeProvince: a district user sees only the people of its district. */
export function scopeDistrict(scope: Scope): string | null {
  return scope.role === 'district' ? scope.maHuyen : null;
}


/**
 * Whose uploads of a returned Mẫu 02 an account may read the rejects of: its own only (their rows are the file as
 * its sender typed it, people out of another office's scope included), or, for the national account, anyone's.
 */
export function uploadsReadable(scope: Scope, login: string): string | null {
  return scope.role === 'national' ? null : login;
}
