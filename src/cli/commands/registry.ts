// `ddcn registry serve`: the mock population registry over HTTP, with fault injection.
// `ddcn registry answer`: the registry's side of the file exchange, answering request files from the outbox.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { memoryDirectory } from '../../adapters/directory.js';
import { MockRegistry } from '../../adapters/mock.js';
import { cannotListen, UsageError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { loadConfig } from '../config.js';
import { commandLogLevel } from '../context.js';
import { createRegistryServer } from '../../registry-server/server.js';
import { claimInterrupts } from '../interrupt.js';
import { answerRequestFiles } from '../../registry-server/answer-files.js';

const rate = z.coerce.number({ error: 'must be a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');
const count = (max: number) => z.coerce.number({ error: `must be a whole number from 0 to ${max}` }).int(`must be a whole number from 0 to ${max}`).min(0).max(max);

const ServeOptions = z
  .object({
    data: z.string().min(1),
    port: count(65535),
    host: z.string().min(1),
    token: z.string().min(1).regex(/^\S+$/, 'must not contain spaces').optional(),
    latencyMs: count(600_000),
    failRate: rate,
    timeoutRate: rate,
    garbageRate: rate,
    rateLimit: count(1_000_000),
    seed: count(2 ** 32 - 1).optional(),
  })
  .refine((o) => o.failRate + o.timeoutRate + o.garbageRate <= 1, { message: 'the fault rates together must not exceed 1', path: ['failRate'] });

function flag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

async function loadRegistry(data: string): Promise<MockRegistry> {
  if (!existsSync(data)) throw new UsageError(`--data: no such file ${data}`);
  return new MockRegistry(await memoryDirectory(data));
}

export function registerRegistry(cli: Command, logLevel: () => string | undefined): void {
  const registry = cli.command('registry').description('the mock population registry: over HTTP, or answering request files');
  registry
    .command('serve')
    .description('serve the mock registry over HTTP (README "Registry API (HTTP)"); prints its base URL on stdout')
    .requiredOption('--data <file>', 'registry people (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)')
    .requiredOption('--port <n>', 'TCP port; 0 picks a free one')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'require this bearer token')
    .option('--latency-ms <n>', 'delay before every answer', '0')
    .option('--fail-rate <r>', 'share of requests answered HTTP 500/503', '0')
    .option('--timeout-rate <r>', 'share of requests never answered', '0')
    .option('--garbage-rate <r>', 'share of requests answered with a malformed, truncated or wrong body', '0')
    .option('--rate-limit <n>', 'requests per second before HTTP 429 with Retry-After; 0 = none', '0')
    .option('--seed <n>', 'seed for the fault draws, to replay a sequence')
    .action(async (raw: Record<string, string | undefined>) => {
      const parsed = ServeOptions.safeParse(raw);
      if (!parsed.success) {
        throw new UsageError(parsed.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join('; '));
      }
      const o = parsed.data;
      const log = createLogger(commandLogLevel(logLevel(), loadConfig()));
      const server = createRegistryServer({ registry: await loadRegistry(o.data), token: o.token, log, faults: o });
      const url = await server.listen(o.port, o.host).catch((err: unknown) => {
        throw cannotListen('ddcn registry serve', o.host, o.port, err);
      });
      process.stdout.write(`${url}\n`);
      log.info({ url, faults: { ...o, data: undefined, token: undefined } }, 'mock registry listening');
      // Ctrl-C or SIGTERM is how it is meant to stop: the requests under way are answered, then it exits 0.
      const stopping = claimInterrupts();
      await new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
      log.info({ ...server.stats }, 'mock registry stopped');
    });
  registry
    .command('answer')
    .description('answer the request files in the outbox into the inbox (the registry side of --registry file)')
    .requiredOption('--data <file>', 'registry people (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)')
    .requiredOption('--outbox <dir>', 'where `ddcn run --registry file` wrote its request files')
    .requiredOption('--inbox <dir>', 'where to write the answer files')
    .action(async (o: { data: string; outbox: string; inbox: string }) => {
      if (!existsSync(o.outbox)) throw new UsageError(`--outbox: no such folder ${o.outbox}`);
      const log = createLogger(commandLogLevel(logLevel(), loadConfig()));
      const done = await answerRequestFiles({ registry: await loadRegistry(o.data), outbox: o.outbox, inbox: o.inbox, log });
      process.stderr.write(
        `answered ${done.requests} request files (${done.people} people) into ${o.inbox}; accepted ${done.shares} share files` +
          `${done.skipped.length ? `; left ${done.skipped.length} unreadable files in the outbox` : ''}\n`,
      );
    });
}
