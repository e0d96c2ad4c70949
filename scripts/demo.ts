// `npm run demo`: the main job on the sample in fixtures/, through the real CLI, on the embedded PostgreSQL of
// DDCN_HOME (default ./.ddcn). Run again, it imports the same file unchanged and finds nothing new to verify, so
// the counts stay, unless the demo data was changed meanwhile (a correction entered in the portal): then
// `npm run demo -- --fresh` starts over from an empty database.
//
// DATABASE_URL is not followed unless asked (--use-database-url): the demo loads sample people, a mock registry and
// portal accounts with printed passwords, which must never land in a database that an operator's shell happens to
// point at.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runningServer } from '../src/db/embedded.js';
import { sharedDataDir } from '../src/db/embedded-root.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = path.resolve(process.env.DDCN_HOME || path.join(root, '.ddcn'));
const out = path.join(home, 'demo');

function refuse(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(2);
}

let flags: { fresh?: boolean; 'use-database-url'?: boolean };
try {
  flags = parseArgs({ options: { fresh: { type: 'boolean' }, 'use-database-url': { type: 'boolean' } } }).values;
} catch (err) {
  refuse(`${(err as Error).message}; the demo takes --fresh (start over) and --use-database-url`);
}
const useDatabaseUrl = flags['use-database-url'] === true;
if (process.env.DATABASE_URL && !useDatabaseUrl) {
  refuse(
    'DATABASE_URL is set, and the demo loads sample people, a mock registry and portal accounts with known passwords ' +
      'into its database: it runs on its own embedded one. Run it without DATABASE_URL (env -u DATABASE_URL npm run demo), ' +
      'or with `npm run demo -- --use-database-url` to load the sample into that database on purpose (never a production one).',
  );
}
if (useDatabaseUrl && !process.env.DATABASE_URL) refuse('--use-database-url given, but DATABASE_URL is not set');
// The demo marks a database it created itself, so that --fresh never removes one that was there before it.
const marker = path.join(out, '.database-made-by-demo');
// Where the embedded database of the home is: in it, or (as root, when postgres cannot enter it) under /var/lib/ddcn.
const homeData = path.join(home, 'pg');
const sharedData = sharedDataDir(home);
if (flags.fresh) await startOver();
const hadDatabase = existsSync(homeData) || existsSync(sharedData);
mkdirSync(out, { recursive: true });
if (!useDatabaseUrl && !hadDatabase && !existsSync(marker)) {
  writeFileSync(marker, 'The embedded database of this DDCN_HOME was created by npm run demo: `npm run demo -- --fresh` may remove it.\n');
}
const env: NodeJS.ProcessEnv = { ...process.env, DDCN_HOME: home, DDCN_LOG_LEVEL: process.env.DDCN_LOG_LEVEL || 'warn' };
if (!useDatabaseUrl) delete env.DATABASE_URL;
// The bin a user runs: one node process (the tsx command would start a second one for each command).
const bin = path.join(root, 'bin', 'ddcn.js');

function ddcn(args: string[]): string {
  process.stderr.write(`\n$ ddcn ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.stdout) process.stderr.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(`demo: "ddcn ${args[0]}" exited with ${r.status ?? r.signal}\n`);
    process.exit(r.status || 1);
  }
  return r.stdout;
}

const fixtures = path.join(root, 'fixtures');
const results = path.join(out, 'results.csv');
ddcn(['import', 'participants', path.join(fixtures, 'participants.csv'), '--rejects', path.join(out, 'participants.rejects.csv')]);
ddcn(['run', '--registry', 'mock', '--registry-data', path.join(fixtures, 'registry.csv')]);
ddcn(['export', 'results', '--out', results]);
const lists = path.join(out, 'lists');
const report = path.join(out, 'mau03.xlsx');
ddcn(['lists', '--out', lists]);
ddcn(['report', 'progress', '--out', report]);

const counts = new Map<string, number>();
for (const line of readFileSync(results, 'utf8').trim().split('\n').slice(1)) {
  const status = line.split(',')[1]!;
  counts.set(status, (counts.get(status) ?? 0) + 1);
}
const order = ['MATCHED', 'MISMATCHED', 'MISSING_ID', 'CONFLICT', 'PENDING'];
process.stdout.write('\nOutcome per participant (Plan 2207):\n');
for (const s of order) process.stdout.write(`  ${s.padEnd(11)} ${String(counts.get(s) ?? 0).padStart(5)}\n`);
process.stdout.write(`\nResults:        ${results}\nMẫu 01 / 02:    ${lists}/<ma_tinh>/<ma_don_vi>/mau01.xlsx, mau02.xlsx\nMẫu 03:         ${report}\nRejected rows:  ${path.join(out, 'participants.rejects.csv')}\nDatabase:       ${useDatabaseUrl ? 'DATABASE_URL' : embeddedData()}\n`);
// As root in a private folder the data lives outside DDCN_HOME, which then says where (src/db/embedded-root.ts).
function embeddedData(): string {
  const pointer = path.join(home, 'pg.location');
  return existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : path.join(home, 'pg');
}

/**
 * --fresh: the database the demo created (in DDCN_HOME/pg, or where DDCN_HOME/pg.location says when run as root) and
 * the demo's own files removed, so that the demo starts from an empty database. Nothing else of DDCN_HOME is touched,
 * and nothing at all unless the demo made that database (the marker) and no server has it open.
 */
async function startOver(): Promise<void> {
  if (useDatabaseUrl) refuse('--fresh starts the embedded demo database over; with --use-database-url there is none to remove');
  if (!existsSync(marker)) {
    if (existsSync(homeData)) {
      refuse(
        `--fresh removes only a database the demo created, and the one of DDCN_HOME=${home} was there before the demo ran ` +
          '(or was made by an older demo): nothing removed. Remove it yourself if it holds nothing you need.',
      );
    }
    if (existsSync(sharedData)) {
      refuse(`the database of DDCN_HOME=${home} is still in ${sharedData}, and the demo cannot tell whether it made it: remove that folder yourself, then run the demo again`);
    }
    return; // no database yet: the demo starts from an empty one anyway
  }
  for (const data of [homeData, path.join(sharedData, 'pg')]) {
    if (await runningServer(data)) refuse(`the demo database (${data}) is in use, by \`ddcn serve\` perhaps: stop it first, then run npm run demo -- --fresh again`);
  }
  const removed = [out, homeData, path.join(home, 'pg.location'), path.join(home, 'pg.owner'), sharedData].filter((p) => existsSync(p));
  for (const p of removed) rmSync(p, { recursive: true, force: true });
  if (readdirSync(home).length === 0) rmSync(home, { recursive: true, force: true });
  process.stderr.write(`demo: started over: removed ${removed.join(', ')}\n`);
}
// The commands to try open the demo's database: not one a DATABASE_URL left in the shell names (the refusal above
// advises `env -u DATABASE_URL npm run demo`, which leaves it set there).
const envPrefix = `${useDatabaseUrl ? '' : 'env -u DATABASE_URL '}${process.env.DDCN_HOME ? `DDCN_HOME=${home} ` : ''}`;
process.stdout.write(`Try:            ${envPrefix}npm run -s ddcn -- lookup 012900013 --json   (an old CMND, now replaced by its ĐDCN)\n`);

// The portal on the demo data: one account of each role, and the command that serves it.
import { demoAccounts } from './demo-accounts.js';

const accounts = await demoAccounts(home);
process.stdout.write('\nPortal accounts (passwords are new on every demo run):\n');
for (const a of accounts) process.stdout.write(`  ${a.login.padEnd(20)} ${a.password}   ${a.what}\n`);
process.stdout.write(`Portal:         ${envPrefix}npm run -s ddcn -- serve --port 8080   then open http://127.0.0.1:8080/\n`);
