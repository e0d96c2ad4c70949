import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { cannotWrite, outputIsFolder } from '../errors.js';
import { makeFolders, PRIVATE_FOLDER_MODE } from '../make-folders.js';

/**
 * Readies the path of an output file (`--out`) before anything is worked out for it: a folder given instead of a
 * file is said so (with `example` as the name to add), and the folders on the way are made, so that
 * `--out reports/2024-06/mau03.xlsx` just works, owner and group only as the folders of the other files with
 * personal data (the exported results hold every ID number on file). Returns the absolute path.
 */
export async function prepareOutputFile(out: string, example: string): Promise<string> {
  if ((await stat(out).catch(() => null))?.isDirectory()) throw outputIsFolder(out, path.join(out, example));
  const file = path.resolve(out);
  await makeFolders(path.dirname(file), PRIVATE_FOLDER_MODE).catch((err: unknown) => {
    throw cannotWrite(path.dirname(file), err);
  });
  return file;
}

/**
 * Resolves once stdout has taken everything written to it so far (rejects with its error, a reader gone or a full
 * disk): a pipe slower than this process still holds the end in the stream's buffer, which process.exit would drop.
 */
export function stdoutWritten(): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write('', (err) => (err ? reject(err) : resolve())));
}

/** Temporary files to remove should the process end before they are renamed into place or removed (removedOnExit). */
const temporary = new Set<string>();

/**
 * Marks `file`, a temporary file being written, to be removed if the process ends first: a Ctrl-C or SIGTERM ends a
 * command that does not claim the signals with process.exit(130) (cli/interrupt.ts), and an export's temporary file,
 * the results with their ID numbers, was left beside the output, one more each time (its name holds the pid).
 * Returns what unmarks it, once it is renamed or removed.
 */
export function removedOnExit(file: string): () => void {
  if (temporary.size === 0) process.once('exit', removeTemporary);
  temporary.add(file);
  return () => {
    temporary.delete(file);
    if (temporary.size === 0) process.removeListener('exit', removeTemporary);
  };
}

function removeTemporary(): void {
  for (const file of temporary) rmSync(file, { force: true });
}
