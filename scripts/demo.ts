// `npm run demo`: the main job on the sample in fixtures/, through the real CLI, on the embedded PostgreSQL of
// DDCN_HOME (default ./.ddcn). Run again, it imports the same file unchanged and finds nothing new to verify, so
// the counts stay, unless the demo data was changed meanwhile (a correction entered in the portal): then
// `npm run demo -- --fresh` starts over from an empty database.
//
// DATABASE_URL is not followed unless asked (--use-database-url): the demo loads sample people, a mock registry and
// portal accounts with printed passwords, which must never land in a database that an operator's shell happens to
// point at.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
if (flags.fresh) startOver();
mkdirSync(out, { recursive: true });
const env: NodeJS.ProcessEnv = { ...process.env, DDCN_HOME: home, DDCN_LOG_LEVEL: process.env.DDCN_LOG_LEVEL || 'warn' };
if (!useDatabaseUrl) delete env.DATABASE_URL;
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

function ddcn(args: string[]): string {
  process.stderr.write(`\n$ ddcn ${args.join(' ')}\n`);
  const r = spawnSync(tsx, [path.join(root, 'src/cli/main.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
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
process.stdout.write(`\nResults:        ${results}\nMẫu 01 / 02:    ${lists}/<ma_tinh>/<ma_don_vi>/mau01.xlsx, mau02.xlsx\nMẫu 03:         ${report}\nRejected rows:  ${path.join(out, 'participants.rejects.csv')}\nDatabase:       ${useDatabaseUrl ? 'DATABASE_URL' : embeddedData()} \n`);
// As root in a private folder the data lives outside DDCN_HOME, which then says where (src/db/embedded-root.ts).
function embeddedData(): string {
  const pointer = path.join(home, 'pg.location');
  return existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : path.join(home, 'pg');
}

/**
 * --fresh: the demo's home (and its database, wherever the data lives) removed, so that the demo starts from an empty
 * database. Only a home the demo made (it holds demo/), and not while a server (`ddcn serve`) has the database open.
 */
function startOver(): void {
  if (useDatabaseUrl) refuse('--fresh starts the embedded demo database over; with --use-database-url there is none to remove');
  if (!existsSync(home)) return;
  if (!existsSync(out)) refuse(`--fresh removes only a home the demo made, and ${home} holds no demo/ folder: nothing removed`);
  const data = embeddedData();
  if (existsSync(path.join(data, 'postmaster.pid'))) {
    refuse(`the demo database (${data}) is in use, by \`ddcn serve\` perhaps: stop it first, then run npm run demo -- --fresh again`);
  }
  // Stryker disable next-line ConditionalExpression: the data folder is named by ddcn itself, never the root
  if (data !== home && path.isAbsolute(data) && data !== path.parse(data).root) rmSync(data, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  process.stderr.write(`demo: started over: removed ${home}${data.startsWith(home) ? '' : ` and ${data}`}\n`);
}
const envPrefix = process.env.DDCN_HOME ? `DDCN_HOME=${home} ` : '';
process.stdout.write(`Try:            ${envPrefix}npm run -s ddcn -- lookup 012900013 --json   (an old CMND, now replaced by its ĐDCN)\n`);

// The portal on the demo data: one account of each role, and the command that serves it.
import { demoAccounts } from './demo-accounts.js';

const accounts = await demoAccounts(home);
process.stdout.write('\nPortal accounts (passwords are new on every demo run):\n');
for (const a of accounts) process.stdout.write(`  ${a.login.padEnd(20)} ${a.password}   ${a.what}\n`);
process.stdout.write(`Portal:         ${envPrefix}npm run -s ddcn -- serve --port 8080   then open http://127.0.0.1:8080/\n`);
