import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive as alive } from '../process-alive.js';

// Synchronous on purpose. These are a few calls on a small, local, private folder, each some microseconds; through
// the promise API each one is a trip back through the event loop, behind the callbacks of every other request
// being answered: with 20 users at once, removing a download's folder (readdir, lstat, unlink and rmdir, one after
// another) took up to half a second of the download's time (scripts/bench-portal.ts, 1 M participants; downloads
// are now made in memory, an upload's files still go through here).

const PREFIX = 'ddcn-portal-';

/**
 * A private folder for one request's files, removed when `fn` ends, whatever happens. Its name carries this
 * process's id, so that a portal killed while it held one (SIGKILL, the machine's OOM killer, a power cut) has its
 * folder removed by the next portal's sweepTempDirs: it holds a returned Mẫu 02 and its rejects, names and ID numbers.
 */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Removes the request folders (inTempDir) that portals which died left in `tmp`: those of this user whose process is
 * gone, and those named before the process id was in the name once a day old. Returns how many were removed. A
 * folder that cannot be read or removed is left: the sweep never stops the portal from starting.
 */
export function sweepTempDirs(tmp = os.tmpdir(), now = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmp, name);
    try {
      const st = statSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const m = /^(\d+)-/.exec(name.slice(PREFIX.length));
      const stale = m ? Number(m[1]) !== process.pid && !alive(Number(m[1])) : now - st.mtimeMs > 24 * 3600_000;
      if (!stale) continue;
      rmSync(dir, { recursive: true, force: true });
      removed += 1;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
