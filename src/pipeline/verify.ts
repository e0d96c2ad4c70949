import pLimit from 'p-limit';
import type { RegistryAdapter } from '../adapters/types.js';
import { failsTheStep, type StepFailure } from '../adapters/shared-cap.js';
import type { VerifyRequest } from '../domain/registry.js';
import type { ExportedPerson, Outcome } from '../domain/outcome.js';
import type { Logger } from '../log.js';
import { preflight, refusedOutcome } from './preflight.js';
import { verifySplittingRefusals } from './split-refused.js';
import { FailedRequests } from './failed-requests.js';

/** What the warning says of the people whose requests failed. */
export const NOT_VERIFIED = 'these people are not verified: PENDING, or, verified before, keeping their last outcome';

export interface VerifyOptions {
  batchSize: number;
  concurrency: number;
}

function errorKind(err: unknown): string {
  if (err instanceof Error) return err.name === 'Error' ? 'registry_error' : err.name;
  return 'registry_error';
}

/**
 * Plan I.1–I.2 / II.1–II.2 for one chunk: pre-flight, then the registry in batches with bounded concurrency.
 * A failed registry request gives its people the outcome PENDING with the error kind; nothing is guessed (the write
 * step keeps the last outcome of those verified before: db/verifications.ts). A request the registry refuses for
 * someone's data is split until that person is alone (split-refused.ts): the others are answered, and that person
 * is MISMATCHED with a note that the record needs fixing.
 */
export async function verifyPeople(
  registry: RegistryAdapter,
  people: ExportedPerson[],
  opts: VerifyOptions,
  log: Logger,
  /** Told, per registry request as it ends, how many people it settled (and the pre-flight ones at once). */
  onVerified: (people: number) => void = () => undefined,
): Promise<Outcome[]> {
  const { toSend, decided, hints } = preflight(people);
  if (decided.length) onVerified(decided.length);
  const version = new Map(people.map((p) => [p.maSoBhxh, p.dataVersion]));
  const limit = pLimit(opts.concurrency);
  const batches: VerifyRequest[][] = [];
  for (let i = 0; i < toSend.length; i += opts.batchSize) batches.push(toSend.slice(i, i + opts.batchSize));

  // A database failure before a request (RegistryGateError) fails the step, which is retried: the requests still
  // waiting for their turn are not sent (their answers would be thrown away and asked for again on the retry), and
  // those in flight are waited for, so that none is still out when the step has failed. So does the adapter closed
  // under its requests as the process stops (RegistryClosedError): recorded PENDING, its people would have been
  // told of as the registry's failures.
  let gateFailed: StepFailure | null = null;
  const settled = await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        if (gateFailed) return null;
        try {
          return { batch, result: await verifySplittingRefusals(registry, batch) };
        } catch (err) {
          if (!failsTheStep(err)) throw err;
          gateFailed ??= err;
          return null;
        } finally {
          onVerified(batch.length);
        }
      }),
    ),
  );
  if (gateFailed) throw gateFailed;
  const answered = settled.filter((a) => a !== null);

  const outcomes: Outcome[] = [...decided];
  const failures = new FailedRequests(log, 'registry');
  for (const { batch, result } of answered) {
    const failedWith = new Map<string, string>();
    for (const { people: part, error } of result.failed) {
      failures.add(error, part.length);
      for (const req of part) failedWith.set(req.requestId, errorKind(error));
    }
    const refused = new Map(result.refused.map((r) => [r.request.requestId, r]));
    if (refused.size) log.warn({ people: refused.size }, "the registry refused these people's data: MISMATCHED until the record is fixed");
    const byId = new Map(result.answers.map((a) => [a.requestId, a]));
    for (const req of batch) {
      const code = req.requestId;
      const dataVersion = version.get(code)!;
      const refusal = refused.get(code);
      if (refusal) {
        outcomes.push(refusedOutcome(req, dataVersion, refusal.fields, 'registry_refused'));
        continue;
      }
      const a = byId.get(code);
      const hint = hints.get(code);
      const error = failedWith.get(code);
      // An answer that says "matched" without a valid personal number cannot be written: treat it as no answer.
      const unusable = a?.matched && !/^\d{12}$/.test(a.soDdcn ?? '');
      if (!a || unusable) {
        const detail = error ? { error } : unusable ? { error: 'invalid_answer' } : { awaiting: true };
        outcomes.push({ maSoBhxh: code, dataVersion, soGiayTo: req.soGiayTo, status: 'PENDING', fields: [], soDdcn: null, detail });
        continue;
      }
      const detail: Record<string, unknown> = {};
      if (a.registry && Object.keys(a.registry).length) detail.registry = a.registry;
      if (hint) detail.cccdHint = hint;
      outcomes.push({
        maSoBhxh: code,
        dataVersion,
        soGiayTo: req.soGiayTo,
        status: a.matched ? 'MATCHED' : 'MISMATCHED',
        fields: a.matched ? [] : [...a.fields].sort(),
        soDdcn: a.matched ? a.soDdcn : null,
        detail: Object.keys(detail).length ? detail : null,
      });
    }
  }
  // Not "stay PENDING" alone: of these people, those verified before keep their last outcome and list (the write
  // step decides; the run's last line counts them), and the log a grep for warnings finds must not say otherwise.
  failures.warn(NOT_VERIFIED);
  return outcomes;
}
