/** A failure the user can act on: the message says what to do. Exit code 1. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Wrong command-line use. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Another `ddcn run` holds the run lock. */
export class RunInProgressError extends UserError {
  override name = 'RunInProgressError';
}

/** The registry could not be reached for part of the batch; those people stay PENDING. */
export class RegistryUnavailableError extends UserError {
  override name = 'RegistryUnavailableError';
}

/**
 * Ctrl-C or SIGTERM: the run stopped between units of work. Every chunk is one transaction, so what was written
 * is whole; the next `ddcn run` resumes the batch. Exit code 130.
 */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly batchId: number | null) {
    super(batchId === null ? 'interrupted before a batch started; nothing was written' : `interrupted; the next ddcn run resumes batch ${batchId}`);
  }
}
