import type { Command } from 'commander';
import { withContext } from '../context.js';
import { batchStatus, type BatchStatus } from '../../db/batch-status.js';
import { UserError } from '../../errors.js';
import { positiveInt } from '../config.js';
import { formatSeconds } from '../../run-progress.js';
import { waitingAt, type Waiting } from '../../adapters/file-exchange.js';
import { answerDueMs, resendAfterMs } from '../registry.js';
import { vnTime } from '../../domain/vn-time.js';
import { changedText, conflictText } from '../summary.js';

const PHASE: Record<BatchStatus['phase'], string> = {
  verify: 'verify (asking the registry)',
  write: 'write (conflicts settled; writing the ĐDCN)',
  share: 'share (Plan I.4)',
  done: 'done',
};


/**
 * Who waits for answers, and whether they have waited past DDCN_REGISTRY_ANSWER_DUE_HOURS, as the run tells it: the
 * status an operator looks at while answers are due said nothing of it, where the night's run exits 1.
 */
type Awaiting = Waiting & { dueHours: number };

const ago = (t: Date, now: Date) => `${formatSeconds((now.getTime() - t.getTime()) / 1000)} ago`;

/**
 * For a batch not done: who is at work on it and on what, and when a step last finished — so that a batch nobody
 * works on (its run killed, no worker left) or one stuck on a step is told from one that is merely slow. Times ago
 * are by the database server's clock (checkedAt), the one clock every machine shares.
 */
function activityLines(s: BatchStatus): string[] {
  const a = s.now;
  const lines: string[] = [];
  lines.push(
    s.lastStepAt
      ? `last chunk step finished ${vnTime(s.lastStepAt)}, ${ago(s.lastStepAt, s.checkedAt)}`
      : `no chunk step finished yet (started ${ago(s.startedAt, s.checkedAt)})`,
  );
  if (a.processes.length === 0) {
    // The command that resumes this batch and nothing else: a run without the batch's --province would, once it is
    // done, start a batch of the whole country.
    const resume = `ddcn run --registry ${s.registry}${s.province ? ` --province ${s.province}` : ''}`;
    lines.push(`at work now: nobody — the batch waits. Run ${resume} (with the flags it was started with) to resume it, or start ddcn worker`);
  } else {
    lines.push(`at work now: ${a.processes.map((p) => `${p.worker} (ddcn ${p.role})`).join(', ')}`);
  }
  const hand = a.inHand.map((h) => `${h.step} of chunk ${h.chunkNo} for ${formatSeconds(h.seconds)}`);
  lines.push(
    `in hand: ${hand.length ? hand.join(', ') : 'nothing'} · queued: ${a.queued}` +
      (a.retrying ? ` (${a.retrying} handed back, to be taken again from ${vnTime(a.retryAt!)})` : ''),
  );
  for (const h of a.inHand.filter((x) => x.overdue)) {
    lines.push(
      `  chunk ${h.chunkNo}'s ${h.step} has been in hand longer than a step may take: its process is taken for dead (killed, its machine ` +
        'lost), and the step goes to the next worker that asks, within the takeover time (DDCN_TAKEOVER_SECONDS)',
    );
  }
  return lines;
}

export function formatStatus(s: BatchStatus, awaiting: Awaiting | null = null): string {
  const c = s.counts;
  const lines = [
    `batch ${s.id}: ${PHASE[s.phase]}${s.province ? ` · province ${s.province}` : ''} · registry ${s.registry}` +
      `${s.batchSize ? ` · requests of ${s.batchSize} ${s.batchSize === 1 ? 'person' : 'people'}` : ''}${s.maxInFlight ? ` · at most ${s.maxInFlight} requests in flight` : ''}`,
    `started ${vnTime(s.startedAt)}${s.finishedAt ? ` · finished ${vnTime(s.finishedAt)}` : ''}${s.attempts > 1 ? ` · resumed ${s.attempts - 1}×` : ''}`,
    `chunks: ${s.chunks.verified}/${s.chunks.total} verified · ${s.chunks.written}/${s.chunks.total} written · ${s.chunks.shared}/${s.chunks.total} shared`,
    // Read: verified, or failed at the registry (those are PENDING); the rest of the batch's people are still to come.
    // (A batch made by an older ddcn has no total: 0.)
    `people: ${c.read}${s.people >= c.read ? ` of ${s.people}` : ''} read · ${c.matched} MATCHED · ${c.mismatched} MISMATCHED · ${c.missing} MISSING_ID · ${conflictText(c)} · ` +
      `${c.pending} PENDING · ${c.errors} errors · ${c.shared} shared · ${s.peoplePerSecond} people/s${changedText(c)}`,
    // PENDING in this batch, yet on their lists with their last outcome: said, or the lists and Mẫu 03 (which count
    // them by that outcome) look as if they contradicted this line.
    ...(s.keptOutcome > 0
      ? [`  (of the PENDING, ${s.keptOutcome} verified before ${s.keptOutcome === 1 ? 'keeps' : 'keep'} their last outcome on the lists until a run verifies their data)`]
      : []),
    // The counts are the registry's answers; the participants change only as chunks are written, after every chunk is
    // verified and the conflicts settled. Said, so that a killed batch's 92 MATCHED is not read as 92 people done.
    ...(s.phase !== 'done' && s.chunks.written < s.chunks.total
      ? [`  (the registry's answers so far: people take these outcomes, in export results, lists and Mẫu 03, only when their chunk is written: ${s.chunks.written}/${s.chunks.total} written)`]
      : []),
    s.workers.length ? 'workers (chunk steps done, last seen):' : 'workers: none has finished a chunk step yet',
    ...s.workers.map((w) => `  ${w.worker}  ${w.steps}  ${vnTime(w.lastSeen)}`),
    ...(s.phase === 'done' ? [] : activityLines(s)),
    ...(awaiting?.people && awaiting.oldest
      ? [
          `file exchange: ${awaiting.people} people await the registry's answers (the oldest request, ${awaiting.oldest.file}, written ${vnTime(awaiting.oldest.createdAt)})` +
            (awaiting.overdue
              ? `: more than ${awaiting.dueHours} h, overdue: check that the registry side takes the request files and answers into the inbox (docs/runbook.md, "The file exchange")`
              : ''),
        ]
      : []),
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
        const now = deps.now();
        const status = await batchStatus(deps.db, wanted, now);
        if (!status) throw new UserError(wanted === null ? 'no batch yet: start one with `ddcn run`' : `no batch ${wanted}; \`ddcn batch status\` shows the latest`);
        // Over the file exchange, PENDING people are mostly waiting for answers: how many, since when.
        // The file exchange's settings are read for its batches only: a bad one must not fail another batch's status.
        const due = status.registry === 'file' ? { resendAfterMs: resendAfterMs(), answerDueMs: answerDueMs() } : null;
        const awaiting = due && {
          ...(await waitingAt(deps.db, { now, ...due, province: status.province })),
          dueHours: Math.round(due.answerDueMs / 3_600_000),
        };
        process.stdout.write(o.json ? JSON.stringify(awaiting ? { ...status, awaiting } : status) + '\n' : formatStatus(status, awaiting));
      });
    });
}
