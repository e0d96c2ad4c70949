import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
 * This machine's name as a folder name takes it. With the process id it tells whose a folder is: portals in
 * containers that share one temporary folder each have their own process ids, and a process id alive in one
 * container says nothing of another's.
 */
const HOST = os.hostname().replace(/[^A-Za-z0-9.]/g, '_').slice(0, 64) || 'host';

/**
 * A private folder for one request's files, removed when `fn` ends, whatever happens. Its name carries this
 * process's id and this machine's name, so that a portal killed while it held one (SIGKILL, the machine's OOM killer,
 * a power cut) has its folder removed by the next portal's sweepTempDirs on the same machine: it holds a returned Mẫu
 * 02 and its rejects, names and ID numbers.
 */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}@${HOST}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Removes the request folders (inTempDir) that portals which died left in `tmp`: those of this user and this machine
 * whose process is gone, and, once a day old, those named otherwise (before the process was in the name, or of
 * another machine's portal sharing the folder: an upload takes seconds, a day is far past any). Returns how many were
 * removed. A folder that cannot be read or removed is left: the sweep never stops the portal from starting.
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
      const st = lstatSync(dir); // a link is not a folder of ours
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const m = /^(\d+)@([^-]+)-/.exec(name.slice(PREFIX.length));
      const ours = m !== null && m[2] === HOST;
      const stale = ours ? Number(m[1]) !== process.pid && !alive(Number(m[1])) : now - st.mtimeMs > 24 * 3600_000;
      if (!stale) continue;
      rmSync(dir, { recursive: true, force: true });
      removed += 1;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
