import type { Command } from 'commander';
import { withContext } from '../context.js';
import { batchStatus, type BatchStatus } from '../../db/batch-status.js';
import { UserError } from '../../errors.js';
import { positiveInt } from '../config.js';

const PHASE: Record<BatchStatus['phase'], string> = {
  verify: 'verify (asking the registry)',
  write: 'write (conflicts settled; writing the ĐDCN)',
  share: 'share (Plan I.4)',
  done: 'done',
};

/** A moment as the offices read it: Vietnam's time (UTC+7 all year), to the second. `--json` keeps ISO in UTC. */
const vnTime = (t: Date): string => `${new Date(t.getTime() + 7 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')} (UTC+7)`;

function formatStatus(s: BatchStatus): string {
  const c = s.counts;
  const lines = [
    `batch ${s.id}: ${PHASE[s.phase]}${s.province ? ` · province ${s.province}` : ''} · registry ${s.registry}` +
      `${s.maxInFlight ? ` · at most ${s.maxInFlight} requests in flight` : ''}`,
    `started ${vnTime(s.startedAt)}${s.finishedAt ? ` · finished ${vnTime(s.finishedAt)}` : ''}${s.attempts > 1 ? ` · resumed ${s.attempts - 1}×` : ''}`,
    `chunks: ${s.chunks.verified}/${s.chunks.total} verified · ${s.chunks.written}/${s.chunks.total} written · ${s.chunks.shared}/${s.chunks.total} shared`,
    // Read: verified, or failed at the registry (those are PENDING); the rest of the batch's people are still to come.
    // (A batch made by an older ddcn has no total: 0.)
    `people: ${c.read}${s.people >= c.read ? ` of ${s.people}` : ''} read · ${c.matched} MATCHED · ${c.mismatched} MISMATCHED · ${c.missing} MISSING_ID · ${c.conflict} CONFLICT · ` +
      `${c.pending} PENDING · ${c.errors} errors · ${c.shared} shared · ${s.peoplePerSecond} people/s`,
    s.workers.length ? 'workers (chunk steps done, last seen):' : 'workers: none has finished a chunk step yet',
    ...s.workers.map((w) => `  ${w.worker}  ${w.steps}  ${vnTime(w.lastSeen)}`),
  ];
  return lines.join('\n') + '\n';
}

export function registerBatch(cli: Command, logLevel: () => string | undefined): void {
  const batch = cli.command('batch').description('batches of the distributed run');
  batch
    .command('status [id]')
    .description('progress of a batch (default: the latest): phase, chunks done/total, counts, people/s, workers seen')
    .option('--json', 'print one JSON object')
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      const wanted = id === undefined ? null : positiveInt('batch id')(id);
      await withContext(logLevel(), async (deps) => {
        const status = await batchStatus(deps.db, wanted, deps.now());
        if (!status) throw new UserError(wanted === null ? 'no batch yet: start one with `ddcn run`' : `no batch ${wanted}; \`ddcn batch status\` shows the latest`);
        process.stdout.write(o.json ? JSON.stringify(status) + '\n' : formatStatus(status));
      });
    });
}
