// Plan 2207 C.2: offices look up a person by an old CMND after it was replaced by the ĐDCN. The number travels in
// the POST body only: never in a URL, a log line or the audit trail.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audit } from '../../db/audit.js';
import { lookupInScopeAudited } from '../../db/portal-queries.js';
import { normalizeNumber } from '../../domain/numbers.js';
import type { PortalContext } from '../context.js';
import { notFound } from '../errors.js';
import { render } from '../render.js';
import { requireUser } from '../session.js';

function officeOnly(req: FastifyRequest) {
  const who = requireUser(req);
  if (who.user.role === 'unit') throw notFound();
  return who;
}

export function registerLookup(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/lookup', async (req, reply) => {
    officeOnly(req);
    return render(reply, req, 'lookup', { title: 'Tra cứu số CMND/ĐDCN', rows: null, message: null });
  });

  app.post('/lookup', async (req, reply) => {
    const { user, scope } = officeOnly(req);
    const raw = (req.body as Record<string, unknown> | null)?.number;
    const n = typeof raw === 'string' ? normalizeNumber(raw) : null;
    if (!n) {
      await audit(ctx.deps.db, { at: ctx.deps.now(), login: user.login, action: 'lookup', object: '', result: 'invalid-number', ip: req.ip });
      return render(reply.code(422), req, 'lookup', {
        title: 'Số cần tra không hợp lệ — Tra cứu số CMND/ĐDCN', rows: null, typedNumber: typeof raw === 'string' ? raw.slice(0, 20) : '',
        message: 'Số cần tra phải là số CMND (9 chữ số) hoặc số ĐDCN/CCCD (12 chữ số).',
      });
    }
    // The look-up and its audit row in one statement (one round trip; the row stands or falls with the look-up).
    const rows = await lookupInScopeAudited(ctx.deps.db, scope, n.value, { at: ctx.deps.now(), login: user.login, object: '', ip: req.ip });
    return render(reply, req, 'lookup', {
      // The number stays in the field (a page of the POST's answer, never kept: Cache-Control no-store).
      title: 'Tra cứu số CMND/ĐDCN', rows, typedNumber: typeof raw === 'string' ? raw.trim().slice(0, 20) : '', message: rows.length ? null : 'Không có người tham gia nào trong phạm vi quản lý có hoặc đã từng có số này.',
    });
  });
}
