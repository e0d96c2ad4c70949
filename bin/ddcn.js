#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the bin works straight from a checkout after `npm ci`.
import { register } from 'tsx/esm/api';

// Ctrl-C while the modules load (about a second): nothing has begun, and it is said so rather than a silent exit.
// The CLI's own handlers take over once it is loaded (src/cli/interrupt.ts drops this one).
const early = (signal) => {
  process.stderr.write(`ddcn: interrupted (${signal}) while starting; nothing was done\n`);
  process.exit(130);
};
globalThis[Symbol.for('ddcn.earlySignalHandler')] = early;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early);

register();
await import('../src/cli/main.ts');
