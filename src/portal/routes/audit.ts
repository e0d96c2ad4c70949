import type { FastifyInstance } from 'fastify';
import { AUDIT_CSV_COPY } from '../../db/audit.js';
import type { PortalContext } from '../context.js';
import { DOWNLOAD, notFound } from '../errors.js';
import { requireUser } from '../session.js';

export function registerAudit(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/audit.csv', DOWNLOAD, async (req, reply) => {
    const { user } = requireUser(req);
    if (user.role !== 'national') throw notFound();
    // Read whole from COPY: the trail of a portal is small next to a request's memory; streamed rows would hold a
    // pooled connection for as long as the slowest client reads.
    const chunks: Buffer[] = [];
    await ctx.deps.db.withSession(async (s) => {
      for await (const chunk of s.copyOut(AUDIT_CSV_COPY)) chunks.push(chunk as Buffer);
    });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit.csv"')
      .header('cache-control', 'no-store')
      .send(Buffer.concat(chunks));
  });
}
