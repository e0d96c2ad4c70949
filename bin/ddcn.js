#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the bin works straight from a checkout after `npm ci`.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
