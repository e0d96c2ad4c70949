// Entry of the import's key-reading worker thread. A new thread starts without the TypeScript loader its parent
// has (tsx, or vitest's transform), so it registers tsx itself before loading the worker body.
import { register } from 'tsx/esm/api';

register();
await import('./import-keys-worker.ts');
