import type { ShareRecord, VerifyAnswer, VerifyRequest } from '../domain/registry.js';

export type { Disclosed, ShareRecord, VerifyAnswer, VerifyRequest } from '../domain/registry.js';

/**
 * Why a request in flight ends when its adapter is closed: the process is stopping (a worker or run past its grace,
 * handing its chunk back). Not a registry failure, which leaves its people PENDING under "the registry is
 * unavailable": the chunk step fails instead, and its job is done again by whoever takes it (verify.ts, share.ts).
 */
export class RegistryClosedError extends Error {
  override name = 'RegistryClosedError';
  constructor() {
    super('the registry client was closed as this process stopped: the request got no answer');
  }
}

export interface RegistryAdapter {
  readonly kind: string;
  /**
   * Verify a batch. Answers may come back for a subset only (e.g. a file exchange still waiting):
   * people without an answer stay PENDING. Throws when the batch as a whole failed.
   */
  verify(batch: VerifyRequest[], signal?: AbortSignal): Promise<VerifyAnswer[]>;
  /** Share insurance info for matched people; returns the request ids the registry acknowledged. */
  share(records: ShareRecord[], signal?: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}
