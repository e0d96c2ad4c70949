import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from '../db/portal-scope.js';
import { districtLabel } from '../reports/districts.js';
import { officeInText } from '../reports/office.js';
import { csrfToken } from './session.js';
import { rateDown } from '../domain/rates.js';

/** Whose the account's pages are, as the forms name offices: `Bảo hiểm xã hội thành phố Hải Phòng (031)`. */
export function scopeText(scope: Scope): string {
  switch (scope.role) {
    case 'national':
      return 'toàn quốc';
    case 'province':
      return `${officeInText(scope.maTinh)} (${scope.maTinh})`;
    case 'district':
      return `${districtLabel(scope.maTinh, scope.maHuyen)}, ${officeInText(scope.maTinh)}`;
    case 'unit':
      return `đơn vị ${scope.maDonVi}`;
  }
}

/**
 * A page in the common layout. `csrf` is the token for the page's forms: the session's once signed in (the
 * sign-in page makes its own, see routes/auth.ts).
 */
export function render(reply: FastifyReply, req: FastifyRequest, page: string, data: Record<string, unknown>) {
  return reply.type('text/html; charset=utf-8').view(`${page}.eta`, pageData(req, data));
}

/** The menu's entry a path is under (marked `aria-current` in the menu), by the path only. */
export function section(url: string | undefined): string | null {
  const path = (url ?? '').split('?')[0]!;
  return path === '/' ? '/' : path === '/units' || path.startsWith('/units/') ? '/units' : path === '/lookup' ? '/lookup' : null;
}

/**
 * What every page's template is given besides its own data: who is signed in, the token of the page's forms, and the
 * menu's entry the page is under.
 */
export function pageData(req: Pick<FastifyRequest, 'user' | 'scope' | 'sessionToken'> & { url?: string }, data: Record<string, unknown>): Record<string, unknown> {
  const user = req.user;
  return {
    section: section(req.url),
    user,
    scopeText: req.scope ? scopeText(req.scope) : '',
    isOffice: user !== null && user.role !== 'unit',
    isNational: user?.role === 'national',
    csrf: req.sessionToken ? csrfToken(req.sessionToken) : '',
    ...data,
  };
}

// One formatter each, made once: toLocaleString builds a new one per call, and a national dashboard formats about
// a thousand figures (a fifth of the page's time in the portal benchmark's profile).
const INTEGER = new Intl.NumberFormat('vi-VN');
const ONE_DECIMAL = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 });

export const number = (n: number | null | undefined) => (n === null || n === undefined ? '–' : INTEGER.format(n));
// Rounded down (domain/rates.ts), as on the forms: 1 999 of 2 000 is 99,9 %, not 100 %.
export const percent = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${ONE_DECIMAL.format(Math.round(rateDown(r) * 1000) / 10)} %`);
