import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audit } from '../../db/audit.js';
import { countLoginAttempt } from '../../db/portal-login-attempts.js';
import { createSession, deleteSession } from '../../db/portal-sessions.js';
import { findUser, recordFailedLogin, recordGoodLogin } from '../../db/portal-users.js';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { dummyHash, verifyPassword } from '../passwords.js';
import { render } from '../render.js';
import { cookieOptions, formToken, localPath, PRE_COOKIE, SESSION_COOKIE } from '../session.js';

const FAILED = 'Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị khoá.';

const field = (req: FastifyRequest, name: string) => {
  const v = (req.body as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' ? v : '';
};

export function registerAuth(app: FastifyInstance, ctx: PortalContext): void {
  const log = ctx.deps.log.child({ component: 'portal', stage: 'login' });

  // `next`: the page asked before sign-in (requireUser), gone back to after it; only a path of this portal.
  const nextOf = (v: unknown) => localPath(v) ?? '/';
  app.get('/login', async (req, reply) => {
    const next = nextOf((req.query as Record<string, unknown>).next);
    if (req.user) return reply.redirect(next, 303);
    return render(reply, req, 'login', { title: 'Đăng nhập', loginToken: formToken(ctx, req, reply), message: null, login: '', next });
  });

  app.post('/login', async (req, reply) => {
    const login = field(req, 'login').trim().toLowerCase().slice(0, 64);
    const password = field(req, 'password');
    const now = ctx.deps.now();
    // Per address here, counted in PostgreSQL (every process behind a proxy shares it); per account by the
    // lock-out below. Refused before the password is hashed: a flood costs no argon2 time.
    if ((await countLoginAttempt(ctx.deps.db, req.ip, now)) > ctx.settings.loginsPerMinute) {
      // Without the login typed: it may be anything, a password typed in the wrong field too.
      log.warn({ ip: req.ip }, 'sign-in refused: too many attempts from this address');
      // Audited as every sign-in is (a flood is what the trail is read for), by address only.
      await audit(ctx.deps.db, { at: now, login: null, action: 'login', object: '', result: 'refused 429: too many attempts from this address', ip: req.ip });
      reply.header('retry-after', String(60 - now.getUTCSeconds()));
      throw new HttpError(429, 'Quá nhiều lần thử. Hãy đợi một phút rồi thử lại.');
    }
    const outcome = await ctx.deps.db.withTransaction(async (tx) => {
      // Locked for the check: two attempts at once cannot both slip under the lock-out.
      const user = login ? await findUser(tx, login, true) : null;
      const locked = user?.lockedUntil && user.lockedUntil > now;
      // An unknown login costs the same time as a wrong password.
      const ok = (await verifyPassword(user?.passwordHash ?? (await dummyHash()), password)) && user !== null && !user.disabled && !locked;
      let result: string;
      let token: string | null = null;
      if (ok) {
        await recordGoodLogin(tx, login);
        token = await createSession(tx, login, now, req.ip);
        result = 'ok';
      } else if (!user) result = 'unknown-login';
      else if (user.disabled) result = 'disabled';
      else if (locked) result = 'locked';
      else {
        const lockUntil = new Date(now.getTime() + ctx.settings.lockoutMinutes * 60_000);
        result = (await recordFailedLogin(tx, login, ctx.settings.lockoutFailures, now, lockUntil)) ? 'wrong-password, locked' : 'wrong-password';
      }
      // An account's login only: text typed for no account (a password in the wrong field, say) is kept nowhere.
      await audit(tx, { at: now, login: user ? login : null, action: 'login', object: '', result, ip: req.ip });
      return { token, result, known: user !== null };
    });
    log.info({ login: outcome.known ? login : undefined, ip: req.ip, result: outcome.result }, 'sign-in');
    if (!outcome.token) {
      return render(reply.code(401), req, 'login', { title: 'Đăng nhập không thành công', loginToken: formToken(ctx, req, reply), message: FAILED, login, next: nextOf(field(req, 'next')) });
    }
    reply.clearCookie(PRE_COOKIE, { path: '/' });
    reply.setCookie(SESSION_COOKIE, outcome.token, cookieOptions(ctx));
    return reply.redirect(nextOf(field(req, 'next')), 303);
  });

  app.post('/logout', async (req, reply) => {
    if (req.sessionToken && req.user) {
      const token = req.sessionToken;
      const login = req.user.login;
      await ctx.deps.db.withTransaction(async (tx) => {
        await deleteSession(tx, token);
        await audit(tx, { at: ctx.deps.now(), login, action: 'logout', object: '', result: 'ok', ip: req.ip });
      });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
