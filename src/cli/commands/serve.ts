import type { Command } from 'commander';
import { cannotListen, UsageError } from '../../errors.js';
import { withContext } from '../context.js';
import { claimInterrupts } from '../interrupt.js';

/** How often `ddcn serve` looks whether the national figures moved (a run or an import ended) and works them out. */
const WARM_EVERY_MS = 15_000;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65_535) throw new UsageError(`--port must be a port number from 0 to 65535, got "${value}"`);
  return n;
}

/** `ddcn serve`: the portal, until SIGINT or SIGTERM; prints its base URL on stdout. */
export function registerServe(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('serve')
    .description('the web portal for offices and units (settings: DDCN_PORTAL_* variables, see README)')
    .option('--port <port>', 'TCP port (0: any free port)', port, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (o: { port: number; host: string }) => {
      // Loaded here, not with the CLI: the portal's modules (Fastify and its plugins, the templates) added ~25 MB
      // to every other command, the nightly import's peak included.
      const [{ buildPortal }, { portalSettings }, { warmNationalFigures }, { deleteIdleSessions }, { sweepTempDirs }] = await Promise.all([
        import('../../portal/app.js'),
        import('../../portal/settings.js'),
        import('../../portal/figures.js'),
        import('../../db/portal-sessions.js'),
        import('../../portal/temp.js'),
      ]);
      const settings = portalSettings();
      await withContext(logLevel(), async (deps, { log }) => {
        // An upload's folder left by a portal that was killed holds a returned Mẫu 02 (names, ID numbers): removed.
        const swept = sweepTempDirs();
        if (swept) log.info({ folders: swept }, 'removed the upload folders a portal that died left in the temporary folder');
        const { app } = await buildPortal({ deps: { ...deps, progress: undefined }, settings });
        const address = await app.listen({ port: o.port, host: o.host }).catch((err: unknown) => {
          throw cannotListen('ddcn serve', o.host, o.port, err);
        });
        process.stdout.write(`${address}\n`);
        log.info({ address }, 'portal listening');
        // Idle sessions are refused on use already; this only keeps the table small.
        const sweep = setInterval(() => {
          deleteIdleSessions(deps.db, deps.now(), settings.idleMinutes * 60_000).catch((err: unknown) => log.warn({ err }, 'idle session clean-up failed'));
        }, 10 * 60_000);
        // The national figures are kept worked out: the first national dashboard after a run does not wait for them.
        // Every WARM_EVERY_MS a fingerprint query tells whether they moved; one work-out at a time (at 10 M people
        // one takes longer than the interval).
        let warming: Promise<void> | null = null;
        const warm = () => {
          warming ??= warmNationalFigures(deps)
            .catch((err: unknown) => log.warn({ err }, 'national figures not worked out ahead'))
            .finally(() => {
              warming = null;
            });
        };
        warm();
        const warmer = setInterval(warm, WARM_EVERY_MS);
        // Ctrl-C or SIGTERM: stop taking requests, finish those under way, then the database closes (and the
        // embedded server stops) on the way out of withContext. A second signal exits at once (cli/interrupt.ts).
        const stopping = claimInterrupts();
        await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
        clearInterval(sweep);
        clearInterval(warmer);
        await warming;
        await app.close();
        log.info('portal stopped');
      }, { poolSize: settings.dbConnections });
    });
}
