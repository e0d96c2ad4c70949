import pLimit from 'p-limit';
import type { RegistryAdapter } from '../adapters/types.js';
import type { VerifyAnswer, VerifyRequest } from '../domain/registry.js';
import type { ExportedPerson, Outcome } from '../domain/outcome.js';
import type { Logger } from '../log.js';
import { preflight } from './preflight.js';

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
 * A failed registry request leaves its people PENDING with the error kind; nothing is guessed.
 */
export async function verifyPeople(
  registry: RegistryAdapter,
  people: ExportedPerson[],
  opts: VerifyOptions,
  log: Logger,
): Promise<Outcome[]> {
  const { toSend, decided, hints } = preflight(people);
  const version = new Map(people.map((p) => [p.maSoBhxh, p.dataVersion]));
  const limit = pLimit(opts.concurrency);
  const batches: VerifyRequest[][] = [];
  for (let i = 0; i < toSend.length; i += opts.batchSize) batches.push(toSend.slice(i, i + opts.batchSize));

  const answered = await Promise.all(
    batches.map((batch) =>
      limit(async (): Promise<{ batch: VerifyRequest[]; answers: VerifyAnswer[] | null; error?: string }> => {
        try {
          return { batch, answers: await registry.verify(batch) };
        } catch (err) {
          log.warn({ err, people: batch.length }, 'registry request failed; these people stay PENDING');
          return { batch, answers: null, error: errorKind(err) };
        }
      }),
    ),
  );

  const outcomes: Outcome[] = [...decided];
  for (const { batch, answers, error } of answered) {
    const byId = new Map((answers ?? []).map((a) => [a.requestId, a]));
    for (const req of batch) {
      const code = req.requestId;
      const dataVersion = version.get(code)!;
      const a = byId.get(code);
      const hint = hints.get(code);
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
  return outcomes;
}
