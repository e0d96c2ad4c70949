import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { cannotWrite, outputIsFolder } from '../errors.js';

/**
 * Readies the path of an output file (`--out`) before anything is worked out for it: a folder given instead of a
 * file is said so (with `example` as the name to add), and the folders on the way are made, so that
 * `--out reports/2024-06/mau03.xlsx` just works. Returns the absolute path.
 */
export async function prepareOutputFile(out: string, example: string): Promise<string> {
  if ((await stat(out).catch(() => null))?.isDirectory()) throw outputIsFolder(out, path.join(out, example));
  const file = path.resolve(out);
  await mkdir(path.dirname(file), { recursive: true }).catch((err: unknown) => {
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
