// Local HTTP servers a test file starts (a scripted registry): every one is closed, its connections too, after
// each test.
import type http from 'node:http';
import { afterEach } from 'vitest';

export function serversClosedAfterEach(): http.Server[] {
  const opened: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => new Promise((ok) => {
      s.closeAllConnections();
      s.close(ok);
    })));
  });
  return opened;
}
