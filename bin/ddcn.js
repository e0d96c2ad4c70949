#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the bin works straight from a checkout after `npm ci`.
import { register } from 'tsx/esm/api';

// Ctrl-C while the modules load (about a second): nothing has begun, and it is said so rather than a silent exit.
// The CLI's own handlers take over once it is loaded (src/cli/interrupt.ts drops this one).
// `ddcn worker`, `ddcn serve` and `ddcn registry serve` stop on SIGINT or SIGTERM as a service does, exit 0
// (docs/interface.md), also while they start: a service manager stopping one just started is no failure. The same
// reading of the command line as src/cli/interrupt.ts serviceCommand.
const words = process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && all[i - 1] !== '--log-level');
const service = words[0] === 'worker' || words[0] === 'serve' || (words[0] === 'registry' && words[1] === 'serve');
const early = (signal) => {
  if (service) {
    process.stderr.write(`ddcn: stopped (${signal}) while starting; nothing was done\n`);
    process.exit(0);
  }
  process.stderr.write(`ddcn: interrupted (${signal}) while starting; nothing was done\n`);
  process.exit(130);
};
globalThis[Symbol.for('ddcn.earlySignalHandler')] = early;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early);

register();
await import('../src/cli/main.ts');
