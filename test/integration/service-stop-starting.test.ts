// `ddcn worker`, `ddcn serve` and `ddcn registry serve` stop on SIGINT or SIGTERM as a service does, exit 0
// (docs/interface.md) — also in the second or so while the modules load, before the command has taken the signals
// over. They exited 130 there (the "interrupted" of any other command), which a service manager stopping a worker it
// had just (re)started records as a failure: the chaos review met it in 3 of 80 signals sent to restarted workers.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { serviceCommand } from '../../src/cli/interrupt.js';
import { startBin } from './http-harness.js';

describe('a service command stopped while it starts', () => {
  for (const [args, signal] of [
    [['worker', '--registry', 'mock'], 'SIGTERM'],
    [['--log-level', 'warn', 'worker', '--registry', 'mock'], 'SIGINT'],
    [['registry', 'serve', '--data', 'fixtures/registry.csv', '--port', '0'], 'SIGTERM'],
  ] as const) {
    it(`ddcn ${args.join(' ')} on ${signal}: exits 0, saying nothing was done`, async () => {
      // The signal must come after node has started the bin (a process that got it even earlier died of it, and the
      // test tries again a little later) and while the modules still load (about a second).
      for (const delay of [400, 250, 600]) {
        // A database nobody answers: the command never gets as far as using it before the signal.
        const p = startBin([...args], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DDCN_REGISTRY: 'mock' });
        await sleep(delay);
        p.kill(signal);
        const ran = await p.done;
        if (ran.signal === signal) continue;
        expect(ran.code, ran.stderr).toBe(0);
        expect(
          ran.stderr
            .trim()
            .split('\n')
            .filter((l) => !l.startsWith('{')),
        ).toEqual([`ddcn: stopped (${signal}) while starting; nothing was done`]);
        return;
      }
      throw new Error('every attempt was killed before node ran the bin');
    }, 60_000);
  }

  it('is told from the other commands by the command line, global flags before it or not', () => {
    expect(serviceCommand(['worker', '--registry', 'http'])).toBe(true);
    expect(serviceCommand(['--log-level', 'debug', 'worker'])).toBe(true);
    expect(serviceCommand(['--log-level=debug', 'serve', '--port', '8080'])).toBe(true);
    expect(serviceCommand(['registry', 'serve', '--data', 'x.csv'])).toBe(true);
    expect(serviceCommand(['registry', 'answer', '--data', 'x.csv'])).toBe(false);
    expect(serviceCommand(['run', '--registry', 'http'])).toBe(false);
    expect(serviceCommand(['--log-level', 'worker', 'run'])).toBe(false);
  });
});
