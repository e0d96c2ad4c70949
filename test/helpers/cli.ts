import { execFile } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The bin a user runs (`npm run ddcn`, `ddcn`): one node process, TypeScript loaded through tsx's API. */
export const BIN = path.join(ROOT, 'bin/ddcn.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI as a user would, with `env` added (DATABASE_URL at least); resolves with its exit code. `input`:
 * what is written to its stdin, which is then closed (else stdin stays open and unwritten).
 */
export function ddcn(args: string[], env: Record<string, string>, timeoutMs = 60_000, input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, DDCN_LOG_LEVEL: 'warn', ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: child.exitCode ?? (err?.code as number | undefined) ?? 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
