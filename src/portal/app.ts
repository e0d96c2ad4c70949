// `ddcn serve`: the portal for province and district offices and the managing units (Plan 2207 C.2). Server-
// rendered pages, no script of ours in the browser; every page and file is cut to the user's scope by
// src/db/portal-scope.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import helmetHeaders from 'helmet';
import multipart from '@fastify/multipart';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { PortalContext } from './context.js';
import { HttpError, notFound, type ErrorLink } from './errors.js';
import { unitNameInScope } from '../db/portal-queries.js';
import { checkCsrf, loadSession, sentSignedOut, signedOut } from './session.js';
import { pageData, render } from './render.js';
import { registerAuth } from './routes/auth.js';
import { registerDashboard } from './routes/dashboard.js';
import { registerUnits, unitPage } from './routes/units.js';
import { registerFiles } from './routes/files.js';
import { registerCorrections } from './routes/corrections.js';
import { registerLookup } from './routes/lookup.js';
import { registerAudit } from './routes/audit.js';
import { ListWorkerPool } from '../reports/worker-sink.js';

const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const CSS = readFileSync(fileURLToPath(new URL('./static/portal.css', import.meta.url)), 'utf8');

/** The most a plain form's body may hold (an upload's file has its own limit, DDCN_PORTAL_MAX_UPLOAD_MB). */
const FORM_LIMIT = 64 * 1024;

/**
 * A value PostgreSQL cannot store as text: a NUL, in a string or in a form part (multipart: `value`, `filename`).
 * Our forms nest two levels at most (a repeated field, a part); anything deeper is no request of ours — and a
 * body nested 30 000 deep must not exhaust the stack.
 */
function unsafe(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 3) return true;
  if (Array.isArray(v)) return v.some((x) => unsafe(x, depth + 1));
  if (v && typeof v === 'object') {
    const part = v as { value?: unknown; filename?: unknown };
    return unsafe(part.value, depth + 1) || unsafe(part.filename, depth + 1);
  }
  return false;
}

export interface PortalRoute {
  method: string;
  url: string;
}

export interface Portal {
  app: FastifyInstance;
  /** Every route the portal answers: the scope test walks this list, so a new route without a case fails it. */
  routes: PortalRoute[];
}

export async function buildPortal(ctx: PortalContext): Promise<Portal> {
  const eta = new Eta({ views: VIEWS, cache: true });
  // No script at all; styles only from our own file.
  const directives = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    // Behind HTTPS only: on a plain-HTTP office network it would send the stylesheet and forms to https://.
    upgradeInsecureRequests: ctx.settings.secureCookies ? [] : null,
  };
  const headerOptions = { contentSecurityPolicy: { directives }, hsts: ctx.settings.secureCookies };
  // The same headers for an answer the framework makes before any hook (frameworkErrors), by helmet itself.
  const notFoundHeaders = helmetHeaders({ ...headerOptions, contentSecurityPolicy: { directives: { ...directives, defaultSrc: ["'none'"], fontSrc: null } } });
  /**
   * An error page's title, which is what a browser's tab, its history and a screen reader say first: by what
   * happened (a 404 thrown for a unit out of scope reads as one of a page that does not exist, as it must).
   */
  const titleOf = (status: number): string =>
    status === 404 ? 'Không tìm thấy'
    : status === 400 ? 'Yêu cầu không hợp lệ'
    : status === 401 ? 'Cần đăng nhập'
    : status === 403 ? 'Phiên làm việc đã hết hạn'
    : status === 409 ? 'Thông tin đã thay đổi'
    : status === 413 ? 'Nội dung gửi quá lớn'
    : status === 415 ? 'Định dạng không được nhận'
    : status === 429 ? 'Xin đợi rồi thử lại'
    : status >= 500 ? 'Lỗi hệ thống'
    : 'Không thực hiện được';
  const app = Fastify({
    logger: false, // requests are logged by our own hook, without query strings or bodies
    // A hop count (proxy-addr's: hop 0 is the socket's address): Fastify's `true` would take the leftmost
    // X-Forwarded-For entry, which the client writes itself.
    trustProxy: ctx.settings.trustProxy > 0 ? (_address: string, hop: number) => hop < ctx.settings.trustProxy : false,
    bodyLimit: FORM_LIMIT,
    // A path that is not UTF-8 once decoded (`/units/%FF`) names nothing: our 404 page rather than the framework's
    // JSON. No hook or plugin has run for it (no session, no helmet, no view): the signed-out page, made here, with
    // the pages' helmet headers under a policy stricter than theirs (it shows nothing but the message and the
    // stylesheet).
    frameworkErrors: (_err, req, reply) =>
      notFoundHeaders(req.raw, reply.raw, () =>
        (reply as FastifyReply)
          .code(404)
          .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .send(eta.render('error', pageData({ user: null, scope: null, sessionToken: null }, { title: titleOf(404), message: notFound().message, links: [] }))),
      ),
  });
  const routes: PortalRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });

  await app.register(helmet, headerOptions);
  // Forms and uploads only (docs/interface.md): a JSON or plain-text body is refused (415) before anything reads it.
  app.removeAllContentTypeParsers();
  await app.register(cookie);
  await app.register(formbody);
  await app.register(multipart, {
    attachFieldsToBody: true,
    limits: { fileSize: ctx.settings.maxUploadBytes, files: 1, fields: 5, parts: 6 },
  });
  await app.register(view, { engine: { eta }, root: VIEWS, production: true });

  app.decorateRequest('user', null);
  app.decorateRequest('scope', null);
  app.decorateRequest('sessionToken', null);
  app.addHook('onRequest', (req, reply) => loadSession(ctx, req, reply));
  // What PostgreSQL cannot take as text (a NUL) never reaches a query: a path with one names nothing (404), a query
  // string or form field with one is not a request of ours (400). Checked here, once, for every route — after the
  // session is known, so that the answer is the signed-in user's page and the request's log line names them.
  app.addHook('onRequest', async (req) => {
    if (Object.values((req.params ?? {}) as Record<string, unknown>).some(unsafe)) throw notFound();
    const query = Object.entries((req.query ?? {}) as Record<string, unknown>);
    if (query.some(([, v]) => unsafe(v))) throw new HttpError(400, 'Yêu cầu không hợp lệ.');
    // A parameter given twice (`?as_of=…&as_of=…`): which one was meant is not for us to guess, nor to take neither
    // silently (the page would show today's figures under a link that asked for another day).
    const twice = query.filter(([, v]) => Array.isArray(v)).map(([k]) => k);
    if (twice.length) throw new HttpError(400, `Tham số ${twice.join(', ')} có nhiều hơn một giá trị trong địa chỉ; mỗi tham số chỉ ghi một lần.`);
  });
  // A body whose reading failed (a multipart cut off or malformed: a dropped connection, a hand-made request) is
  // the sender's fault, said as such (400), not a failure of ours: the request is between these two hooks.
  const readingBody = new WeakSet<FastifyRequest>();
  app.addHook('preParsing', async (req) => {
    // A file sent after its session ended (signed out in another tab, idle past the timeout) is answered as that
    // before it is read: read first, a file over the size was refused as "too large" and the clerk, told to send a
    // smaller one, was told only then to sign in again. Nor does a sender without a session have the portal take in
    // megabytes it will refuse (the body is let go unread).
    if (String(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
      if (sentSignedOut(req)) throw signedOut(req);
      // Only the upload's form sends a file. Anywhere else — the sign-in's form above all, which anyone may send — a
      // multipart body is refused before it is read, not taken in up to an upload's size to be refused after.
      if (req.routeOptions.url !== '/units/:ma_don_vi/corrections') throw new HttpError(415, 'Biểu mẫu này không nhận tệp gửi kèm. Hãy gửi lại từ trang của hệ thống.');
    }
    readingBody.add(req);
  });
  app.addHook('preValidation', async (req) => {
    readingBody.delete(req);
    if (req.body && typeof req.body === 'object' && Object.values(req.body as Record<string, unknown>).some(unsafe)) {
      throw new HttpError(400, 'Yêu cầu không hợp lệ.');
    }
    // A form field sent twice (`ho_ten=a&ho_ten=b`, no browser's form does it): which one was meant is not for us to
    // guess, nor to read it as none ("nothing filled in"), as a query parameter given twice.
    const twice = req.body && typeof req.body === 'object' ? Object.entries(req.body as Record<string, unknown>).filter(([, v]) => Array.isArray(v)).map(([k]) => k) : [];
    if (twice.length) throw new HttpError(400, `Trường ${twice.join(', ')} có nhiều hơn một giá trị trong biểu mẫu; mỗi trường chỉ gửi một lần.`);
  });
  // Nothing of ours is kept by a browser or a proxy but the stylesheet: a page with people's data must not come back
  // from the cache after sign-out (Back). Answers that say otherwise (the stylesheet) keep their own header.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('preHandler', async (req) => {
    if (req.method === 'POST') await checkCsrf(req);
  });
  const log = ctx.deps.log.child({ component: 'portal' });
  app.addHook('onResponse', async (req, reply) => {
    // The path only: look-up numbers travel in bodies and never reach a log line.
    log.info({ method: req.method, path: req.routeOptions.url ?? '(unknown)', status: reply.statusCode, ms: Math.round(reply.elapsedTime), login: req.user?.login }, 'request');
  });

  /**
   * An error page. Under /units/{code}, it also links back to that unit, when the unit is in the user's scope
   * (the same look-up as the pages: a 404 for a unit of another scope shows nothing more than a unit that does not
   * exist).
   */
  const errorPage = async (req: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string, links: ErrorLink[] = []) => {
    // A refused upload (no file, not .xlsx, too large, not this unit's Mẫu 02, another still being read): the unit's
    // page again, the reason in its upload form, so that the clerk picks the right file there and then. Not for a
    // 403 (a form of an ended session: the way is to sign in again), a 404 (a unit not in scope) or a failure of ours.
    if (req.method === 'POST' && req.routeOptions.url === '/units/:ma_don_vi/corrections' && req.user && status >= 400 && status < 500 && status !== 403 && status !== 404) {
      const code = (req.params as { ma_don_vi?: string } | undefined)?.ma_don_vi;
      const shown = code ? await unitPage(ctx, req, reply.code(status), code, 1, message).catch(() => null) : null;
      if (shown) return shown;
    }
    const back = await unitLink(req).catch(() => null); // a page about a failure must not fail in turn
    return render(reply.code(status), req, 'error', { title, message, links: back ? [...links, back] : links });
  };
  const unitLink = async (req: FastifyRequest): Promise<ErrorLink | null> => {
    const m = /^\/units\/([^/?#]+)\/[^?#]/.exec(req.url); // below a unit's page, not the page itself
    if (!m || !req.scope) return null;
    let code: string;
    try {
      code = decodeURIComponent(m[1]!);
    } catch {
      return null;
    }
    if (unsafe(code)) return null;
    const unit = await unitNameInScope(ctx.deps.db, req.scope, code);
    return unit ? { href: `/units/${encodeURIComponent(unit.maDonVi)}`, text: `« Về trang đơn vị ${unit.tenDonVi || unit.maDonVi}` } : null;
  };

  app.setNotFoundHandler(async (req, reply) => errorPage(req, reply, 404, titleOf(404), 'Không tìm thấy trang hoặc dữ liệu này.'));
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      if (err.redirect && req.method === 'GET') return reply.redirect(err.redirect, 303);
      return errorPage(req, reply, err.status, err.title ?? titleOf(err.status), err.message, err.links);
    }
    const unreadable = readingBody.has(req) && !(err.statusCode && err.statusCode < 500);
    const status = unreadable ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, path: req.routeOptions.url }, 'portal request failed');
    // Over a size: the file of an upload (multipart), or else the fields of a plain form; or more parts than a form.
    const multipart = String(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/');
    const parts = ['FST_FILES_LIMIT', 'FST_PARTS_LIMIT', 'FST_FIELDS_LIMIT'].includes(err.code ?? '');
    const message =
      status === 413 && parts ? 'Mỗi lần chỉ gửi một tệp Mẫu số 02 (.xlsx), bằng nút chọn tệp của trang.'
      : status === 413 && multipart ? `Tệp quá lớn: tối đa ${Math.round(ctx.settings.maxUploadBytes / 1024 / 1024)} MB.`
      : status === 413 ? `Nội dung gửi quá dài: một biểu mẫu nhận tối đa ${FORM_LIMIT / 1024} KB.`
      : status === 429 ? 'Quá nhiều lần thử. Hãy đợi một phút rồi thử lại.'
      : status === 500 ? 'Có lỗi khi xử lý yêu cầu. Hãy thử lại; nếu vẫn lỗi, báo bộ phận CNTT.'
      : unreadable ? 'Nội dung gửi lên không đọc được (bị ngắt giữa chừng hoặc sai định dạng). Hãy gửi lại từ trang của hệ thống.'
      : 'Yêu cầu không hợp lệ.';
    return errorPage(req, reply, status, titleOf(status), message);
  });

  app.get('/healthz', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  app.get('/static/portal.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CSS));

  registerAuth(app, ctx);
  registerDashboard(app, ctx);
  registerUnits(app, ctx);
  // Threads make the downloads' workbooks while the main thread keeps answering pages: one for the units' lists
  // and one for Mẫu 03 (exceljs, slower), so a unit's Mẫu 02 never waits behind the offices' reports. They start
  // when the portal listens, or with the first download of an app that never listens (tests), and end with it.
  // The Mẫu 03 thread runs at a lower priority (nice 10): when the CPU is short, pages come before a report.
  const threads = { lists: new ListWorkerPool(1), reports: new ListWorkerPool(1, { nice: 10 }) };
  app.addHook('onListen', async () => {
    threads.lists.warm();
    threads.reports.warm();
  });
  app.addHook('onClose', async () => {
    await Promise.all([threads.lists.close(), threads.reports.close()]);
  });
  registerFiles(app, ctx, threads);
  registerCorrections(app, ctx);
  registerLookup(app, ctx);
  registerAudit(app, ctx);
  await app.ready();
  return { app, routes };
}
