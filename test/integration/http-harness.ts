// Shared pieces for the registry-over-the-wire tests: the CLI and the mock registry server as real processes,
// the fixture data, and the end state a user can see (results export, former numbers, shares).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { deps, exportedResults, rows } from '../helpers/pipeline.js';

export const FIXTURE_PARTICIPANTS = path.join(ROOT, 'fixtures/participants.csv');
export const FIXTURE_REGISTRY = path.join(ROOT, 'fixtures/registry.csv');

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Ran>;
  stderrLines: AsyncIterable<string>;
  /**
   * Signals the whole process group: the process and any it started (a SIGKILL of the process alone would leave
   * them orphaned).
   */
  kill(signal: NodeJS.Signals): void;
}

/** Starts `ddcn ARGS` as its own process (group); `done` resolves when it exits (by itself or killed). */
export function startDdcn(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DDCN_LOG_LEVEL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so that kill() reaches whatever it started too
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  let exited = false;
  void done.then(() => (exited = true), () => (exited = true));
  const kill = (signal: NodeJS.Signals) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  return { child, done, stderrLines: createInterface({ input: child.stderr! }), kill };
}

export async function ddcn(args: string[], env: Record<string, string>): Promise<Ran> {
  return startDdcn(args, env).done;
}

/** `ddcn registry serve` as a real process; resolves once it prints its URL. */
export async function startRegistryServer(args: string[]): Promise<{ url: string; stop: () => Promise<Ran> }> {
  const { child, done, kill } = startDdcn(['registry', 'serve', '--data', FIXTURE_REGISTRY, '--port', '0', ...args], { DDCN_LOG_LEVEL: 'warn' });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => resolve(l.trim()));
    void done.then((r) => reject(new Error(`registry server exited early (${r.code}): ${r.stderr}`)));
  });
  return {
    url,
    stop: async () => {
      kill('SIGTERM');
      return done;
    },
  };
}

export async function importFixtures(db: Db): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-fx-'));
  try {
    await importParticipants(deps(db), FIXTURE_PARTICIPANTS, path.join(dir, 'rejects.csv'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What a user can see after runs: the results export, former numbers and shares (without their clocks, which
 * differ between processes), and the checks that nothing was written twice.
 */
export async function endState(db: Db) {
  const out = await mkdtemp(path.join(os.tmpdir(), 'ddcn-end-'));
  try {
    return {
      results: (await exportedResults(deps(db), out)).text,
      history: await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source FROM number_history ORDER BY ma_so_bhxh, so_cu'),
      shares: await rows(db, 'SELECT ma_so_bhxh, so_ddcn FROM share_record ORDER BY ma_so_bhxh, so_ddcn'),
      duplicateHistory: await rows(db, 'SELECT ma_so_bhxh, count(*)::int AS n FROM number_history GROUP BY 1 HAVING count(*) > 1'),
      unfinished: await rows(db, `SELECT id, phase FROM batch WHERE phase <> 'done'`),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/**
 * The end state after crashes, kills or faults is the one expected (a reference run, or the fixtures' oracle):
 * every batch done, no former number written twice, and the same results, history and shares.
 */
export function expectEndState(
  state: Awaited<ReturnType<typeof endState>>,
  expected: { results: string; history: unknown[]; shares: unknown[] },
): void {
  expect(state.unfinished).toEqual([]);
  expect(state.duplicateHistory).toEqual([]);
  expect(state.results).toBe(expected.results);
  expect(state.history).toEqual(expected.history);
  expect(state.shares).toEqual(expected.shares);
}

export { mulberry32 as seeded } from '../../src/prng.js';

/**
 * The installed bin (`node bin/ddcn.js`, tsx loaded in-process), in a process group of its own, like a command
 * in a terminal. Not the tsx CLI: its parent process relays signals and SIGKILLs a child that has not confirmed
 * one within 30 ms, which on a loaded machine tested tsx rather than ddcn.
 */
export function startBin(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DDCN_LOG_LEVEL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, stderrLines: createInterface({ input: child.stderr }), kill: (s: NodeJS.Signals) => process.kill(-child.pid!, s) };
}
