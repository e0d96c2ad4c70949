// Who is asking, and whether a POST came from our own form. The session lives in PostgreSQL (portal_session);
// the cookie holds a random token. The CSRF token is derived from that cookie's secret value (or, before
// sign-in, from a pre-session cookie): a page of ours can put it in a form, another site cannot know it.
// (@fastify/csrf-protection reads the token in a hook before a multipart body is parsed and keeps a secret
// cookie of its own; binding the token to our session cookie needs neither.)
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionUser } from '../db/portal-sessions.js';
import { scopeOf, type PortalUser } from '../db/portal-users.js';
import type { Scope } from '../db/portal-scope.js';
import type { PortalContext } from './context.js';
import { HttpError } from './errors.js';

export const SESSION_COOKIE = 'ddcn_session';
export const PRE_COOKIE = 'ddcn_pre';

declare module 'fastify' {
  interface FastifyRequest {
    user: PortalUser | null;
    scope: Scope | null;
    sessionToken: string | null;
  }
}

export function cookieOptions(ctx: PortalContext) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: ctx.settings.secureCookies };
}

export function csrfToken(secret: string): string {
  return createHash('sha256').update(`ddcn-csrf\u0000${secret}`).digest('base64url');
}

/** The token for the forms of this page; sets a pre-session cookie when the visitor has no session yet. */
export function formToken(ctx: PortalContext, req: FastifyRequest, reply: FastifyReply): string {
  if (req.sessionToken) return csrfToken(req.sessionToken);
  let pre = req.cookies[PRE_COOKIE];
  if (!pre || pre.length < 32) {
    pre = randomBytes(32).toString('base64url');
    reply.setCookie(PRE_COOKIE, pre, cookieOptions(ctx));
  }
  return csrfToken(pre);
}

/** onRequest: loads the signed-in user, if any. An ended or idle session clears its cookie. */
export async function loadSession(ctx: PortalContext, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  req.user = null;
  req.scope = null;
  req.sessionToken = null;
  const token = req.cookies[SESSION_COOKIE];
  if (!token) return;
  const user = await sessionUser(ctx.deps.db, token, ctx.deps.now(), ctx.settings.idleMinutes * 60_000);
  if (!user) {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return;
  }
  req.user = user;
  req.scope = scopeOf(user);
  req.sessionToken = token;
}

function submittedToken(req: FastifyRequest): string | null {
  const body = req.body as Record<string, unknown> | undefined | null;
  const field = body?._csrf;
  if (typeof field === 'string') return field;
  // multipart fields arrive as { value } objects (@fastify/multipart, attachFieldsToBody)
  if (field && typeof field === 'object' && 'value' in field && typeof field.value === 'string') return field.value;
  return null;
}

/** A POST of a signed-in page's form (any but the sign-in's) that came without a session. */
export const sentSignedOut = (req: FastifyRequest): boolean => req.method === 'POST' && !req.user && req.url !== '/login';

/**
 * What a form sent after its session ended is told: that, and the way to sign in again — back to the page the form
 * was on, where it is filled in again (a file is picked again on its unit's page), not to the dashboard.
 */
export function signedOut(req: FastifyRequest): HttpError {
  const page = localPath(req.url.split('?')[0]!.replace(/\/corrections$/, ''));
  const back = page && page !== '/' && page !== '/logout' ? `/login?next=${encodeURIComponent(page)}` : '/login';
  return new HttpError(403, 'Bạn đã đăng xuất hoặc phiên đã hết hạn: đăng nhập lại.', undefined, [{ href: back, text: 'Đăng nhập lại' }]);
}

/** preHandler of every POST: 403 unless `_csrf` matches the token of this browser's session or pre-session. */
export async function checkCsrf(req: FastifyRequest): Promise<void> {
  const secret = req.sessionToken ?? req.cookies[PRE_COOKIE];
  const sent = submittedToken(req);
  const want = secret ? Buffer.from(csrfToken(secret)) : null;
  const got = sent ? Buffer.from(sent) : null;
  if (want && got && want.length === got.length && timingSafeEqual(want, got)) return;
  // A form of a signed-in page sent after the session ended (signed out in another tab, idle, disabled): say so,
  // rather than blame the form.
  if (sentSignedOut(req)) throw signedOut(req);
  // Titled as what it is: the session (if any) is still open, only the form is stale.
  throw new HttpError(403, 'Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và gửi lại.', undefined, [], 'Biểu mẫu đã hết hạn');
}

/** The signed-in user of a page, or a redirect to the sign-in page, which then leads back to the page asked. */
export function requireUser(req: FastifyRequest): { user: PortalUser; scope: Scope } {
  if (!req.user || !req.scope) {
    const back = localPath(pageOffering(req.url, req.routeOptions.url));
    throw new HttpError(401, 'Cần đăng nhập.', back && back !== '/' ? `/login?next=${encodeURIComponent(back)}` : '/login');
  }
  return { user: req.user, scope: req.scope };
}

/**
 * The page to go back to after sign-in for `url`: itself, or for a file (a download asked once the session had ended)
 * the page that offers it — a unit's lists its page, an upload's rejects its result, Mẫu 03 the dashboard as of the
 * same day, the audit trail the dashboard. A browser sent on to a file keeps the page it was on, which was the sign-in
 * form: the clerk, just signed in, saw that form again, filled in, and the file only in the downloads bar.
 */
export function pageOffering(url: string, route: string | undefined): string {
  // By the route, not the address: a unit whose code ends in `.csv` has a page.
  if (!/\.(xlsx|csv)$/.test(route ?? '')) return url;
  const at = url.indexOf('?');
  const [path, query] = at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at)];
  const page = path.replace(/\/[^/]*$/, '');
  return page === '' || page === '/report' ? `/${query}` : page;
}

/**
 * `path` when it is a path of this portal to go back to after sign-in (`/units/DV0790001?trang=2`), else null: never
 * another site (`//evil.example`, `/\evil.example`, `https://…`), nothing with control characters, nothing long.
 */
export function localPath(path: unknown): string | null {
  if (typeof path !== 'string' || path.length > 1000 || !path.startsWith('/')) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (path.startsWith('//') || path.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(path)) return null;
  // As a Location header can carry it: a letter beyond ASCII or a space (`/units/ĐV 01`, from a link typed by hand
  // whose `next` the browser sent percent-encoded and we read decoded) percent-encoded, as a browser would write
  // it; a header holding it raw is refused by Node, and the sign-in that had just succeeded answered 500.
  try {
    return path.replace(/[^\u0021-\u007e]+/gu, (s) => encodeURIComponent(s));
  } catch {
    return null; // a lone surrogate: no character at all
  }
}
