import type { ShareRecord, VerifyAnswer, VerifyRequest } from '../domain/registry.js';

export type { Disclosed, ShareRecord, VerifyAnswer, VerifyRequest } from '../domain/registry.js';

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
