import type { Deps } from '../pipeline/deps.js';
import type { PortalSettings } from './settings.js';

/** What every route handler gets, built once by `ddcn serve` (or a test). */
export interface PortalContext {
  deps: Deps;
  settings: PortalSettings;
}
