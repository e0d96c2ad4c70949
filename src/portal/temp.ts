import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Synchronous on purpose. These are a few calls on a small, local, private folder, each some microseconds; through
// the promise API each one is a trip back through the event loop, behind the callbacks of every other request
// being answered: with 20 users at once, removing a download's folder (readdir, lstat, unlink and rmdir, one after
// another) took up to half a second of the download's time (scripts/bench-portal.ts, 1 M participants; downloads
// are now made in memory, an upload's files still go through here).

/** A private folder for one request's files, removed when `fn` ends, whatever happens. */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddcn-portal-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
