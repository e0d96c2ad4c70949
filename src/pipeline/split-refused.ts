// When the registry refuses a request because of what someone's data says (HTTP 400: a name over its limit, a
// value it does not take), the others in that request must not wait for that record to be fixed. The request is
// split in halves, and halves again, until each person refused is alone; everyone else gets their answer, and the
// person refused gets an outcome that says the record needs fixing (verify.ts). Called per registry request, so
// it fits wherever requests are made.
import { RegistryRefusedError } from '../adapters/http-errors.js';
import { failsTheStep } from '../adapters/shared-cap.js';
import { WIRE_FIELD } from '../adapters/http-wire.js';
import type { RegistryAdapter, VerifyAnswer, VerifyRequest } from '../adapters/types.js';
import type { Field } from '../domain/types.js';

export interface Refusal {
  request: VerifyRequest;
  /** The fields the registry named, sorted; empty when it did not say. */
  fields: Field[];
}

export interface SplitResult {
  answers: VerifyAnswer[];
  refused: Refusal[];
  /** Parts that failed for another reason (or past the budget): their people stay PENDING. */
  failed: Array<{ people: VerifyRequest[]; error: unknown }>;
}

/**
 * People isolated per request at most. More than that refused alone means the registry refuses what every
 * request says, not someone's data (our mistake, or the registry's): then nobody is told to fix a record, the
 * people stay PENDING under the refusal, and the registry was asked a few dozen times rather than twice per person.
 */
export const MAX_ISOLATED = 8;

function refusedFields(err: RegistryRefusedError): Field[] {
  const fields = new Set<Field>();
  for (const p of err.paths) {
    const f = WIRE_FIELD[p.split('.')[2] ?? ''];
    if (f) fields.add(f);
  }
  return [...fields].sort();
}

/** Asks the registry about `batch`, splitting a refused request until those refused are alone. */
export async function verifySplittingRefusals(registry: RegistryAdapter, batch: VerifyRequest[], signal?: AbortSignal): Promise<SplitResult> {
  const out: SplitResult = { answers: [], refused: [], failed: [] };
  let lastRefusal: unknown = null;
  let gaveUp = false;
  const ask = async (part: VerifyRequest[]): Promise<void> => {
    if (gaveUp) {
      out.failed.push({ people: part, error: lastRefusal });
      return;
    }
    try {
      out.answers.push(...(await registry.verify(part, signal)));
    } catch (err) {
      // The database failed before the registry was asked, or the process is stopping: the step fails and is done
      // again (SharedRegistryCap, RegistryClosedError).
      if (failsTheStep(err)) throw err;
      if (!(err instanceof RegistryRefusedError)) {
        out.failed.push({ people: part, error: err });
        return;
      }
      lastRefusal = err;
      if (part.length > 1) {
        const mid = Math.ceil(part.length / 2);
        await ask(part.slice(0, mid));
        await ask(part.slice(mid));
      } else if (out.refused.length < MAX_ISOLATED) {
        out.refused.push({ request: part[0]!, fields: refusedFields(err) });
      } else {
        gaveUp = true;
        out.failed.push({ people: [...out.refused.map((r) => r.request), part[0]!], error: err });
        out.refused = [];
      }
    }
  };
  await ask(batch);
  return out;
}
