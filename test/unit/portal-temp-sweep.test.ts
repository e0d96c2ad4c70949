// An upload's request folder (a returned Mẫu 02 and its rejects: names, dates of birth, ID numbers) stayed in the
// temporary folder for good when the portal was killed while it held one (SIGKILL, the OOM killer, a power cut):
// nothing ever removed it. Its name now carries the portal's process id, and a portal starting removes the folders
// of portals that are gone.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inTempDir, sweepTempDirs } from '../../src/portal/temp.js';

/** This machine's name as the folder names carry it (src/portal/temp.ts). */
const HOST = os.hostname().replace(/[^A-Za-z0-9.]/g, '_').slice(0, 64) || 'host';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddcn-sweep-'));
  made.push(dir);
  return dir;
}

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function leftover(dir: string, name: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'mau02.xlsx'), 'Nguyễn Văn Hùng 001090000001');
  return folder;
}

describe('the portal request folders', () => {
  it('are named with the process id and the machine', async () => {
    const name = await inTempDir(async (dir) => path.basename(dir));
    expect(name).toMatch(new RegExp(`^ddcn-portal-${process.pid}@${HOST}-`));
  });

  it("removes a dead portal's folder with its files, keeps a live portal's, another machine's and other files", async () => {
    const dir = tmp();
    const dead = await deadPid();
    leftover(dir, `ddcn-portal-${dead}@${HOST}-AbC123`);
    leftover(dir, `ddcn-portal-${process.pid}@${HOST}-XyZ789`); // this process: in use
    // A portal of another container sharing the temporary folder: its process id means nothing here. Young, kept.
    leftover(dir, `ddcn-portal-${dead}@other_box-QwE456`);
    leftover(dir, 'ddcn-portal-old000'); // an older portal's name, without the id: young, kept
    const old = leftover(dir, 'ddcn-portal-old111'); // the same, a day old: removed
    utimesSync(old, new Date(Date.now() - 25 * 3600_000), new Date(Date.now() - 25 * 3600_000));
    writeFileSync(path.join(dir, 'ddcn-portal-9-not-a-folder'), '');
    symlinkSync(leftover(tmp(), 'elsewhere'), path.join(dir, `ddcn-portal-${dead}@${HOST}-link`)); // a link: not followed
    leftover(dir, 'something-else');
    expect(sweepTempDirs(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(
      [
        'ddcn-portal-9-not-a-folder',
        `ddcn-portal-${process.pid}@${HOST}-XyZ789`,
        `ddcn-portal-${dead}@other_box-QwE456`,
        `ddcn-portal-${dead}@${HOST}-link`,
        'ddcn-portal-old000',
        'something-else',
      ].sort(),
    );
  });

  it('starts a portal even when the temporary folder cannot be read', () => {
    expect(sweepTempDirs(path.join(tmp(), 'missing'))).toBe(0);
  });
});
