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
