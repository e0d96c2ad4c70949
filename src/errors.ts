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
  constructor(
    readonly batchId: number | null,
    /** Batches of another scope this run finished before it was interrupted (see runBatch): they are done. */
    readonly finished: number[] = [],
  ) {
    super(
      batchId !== null
        ? `interrupted; the next ddcn run resumes batch ${batchId}`
        : finished.length
          ? `interrupted after finishing batch ${finished.join(', ')} (another scope, open before); the batch asked for was not started: run ddcn run again`
          : 'interrupted before a batch started; nothing was written',
    );
  }
}

/** What a file-system error code means, in words an operator acts on; the code stays in brackets for a search. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file (check the path)',
  EACCES: 'permission denied (check the permissions of the file and its folders)',
  EPERM: 'permission denied (check the permissions of the file and its folders)',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'a file of that name is in the way (a part of the path is a file, not a folder)',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EDQUOT: 'the disk quota is used up',
  EMFILE: 'too many files open at once (try again)',
};

/** A file-system error in words an operator acts on, with its code in brackets (`permission denied … [EACCES]`). */
export function fileErrorWords(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code && FILE_ERRORS[code] ? `${FILE_ERRORS[code]} [${code}]` : (code ?? (err as Error)?.message ?? String(err));
}

/** `cannot open FILE: why`, for a file the user named. */
export function cannotOpen(file: string, err: unknown): UserError {
  return new UserError(`cannot open ${file}: ${fileErrorWords(err)}`, { cause: err });
}

/** `cannot write PATH: why`, for an output the user named (a folder to make, a file to write). */
export function cannotWrite(file: string, err: unknown): UserError {
  return new UserError(`cannot write ${file}: ${fileErrorWords(err)}`, { cause: err });
}

/** Whether `err` is a file-system error of the operator's to fix (permissions, space, path), not a fault of ours. */
export function fileSystemError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code !== undefined && code in FILE_ERRORS;
}

/**
 * A server that cannot listen, said so: the port taken (another of the same `command` still running?) or not allowed
 * (below 1024 for a user that is not root). Anything else as it came. `command`: the one that failed, `ddcn serve` or
 * `ddcn registry serve`, which is also the likeliest holder of its port.
 */
export function cannotListen(command: string, host: string, port: number, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return new UserError(`cannot listen on ${host}:${port}: the port is in use (another ${command}?); stop that process or choose another --port`, { cause: err });
  if (code === 'EACCES') return new UserError(`cannot listen on ${host}:${port}: permission denied (ports below 1024 need root); choose another --port`, { cause: err });
  if (code === 'EADDRNOTAVAIL') return new UserError(`cannot listen on ${host}:${port}: no such address on this machine; check --host`, { cause: err });
  return err;
}

/** An output file that is a folder on disk: said before anything is written (`--out reports/` instead of a file). */
export function outputIsFolder(out: string, example: string): UserError {
  return new UserError(`--out ${out} is a folder; give a file name, for example ${example}`);
}
