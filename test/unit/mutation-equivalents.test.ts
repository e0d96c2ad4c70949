// docs/mutation-equivalents.md lists the equivalent mutants marked in src/ (`// Stryker disable next-line …: why`).
// It is written from the marks by a script; this keeps it from drifting when a mark is added, moved or removed.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the list of equivalent mutants', () => {
  it('is the one the marks in src/ give, each with a reason', async () => {
    const run = promisify(execFile)(process.execPath, ['scripts/mutation-equivalents.mjs', '--check'], { cwd: ROOT });
    await expect(run).resolves.toMatchObject({ stderr: '' });
  });
});
