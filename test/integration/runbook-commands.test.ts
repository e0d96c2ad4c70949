// The runbook is followed at night by someone who cannot ask: every ddcn command it names must be one the CLI
// has (`--help` lists it), and the contract (docs/interface.md) must name it too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ddcn, ROOT } from '../helpers/cli.js';

/** `ddcn CMD [SUB]` as written in the runbook's code (blocks and `spans`), also as `bin/ddcn.js CMD`. */
function namedCommands(markdown: string): string[] {
  const code = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm), ...markdown.matchAll(/`([^`\n]+)`/g)].map(
    (m) => m[1]!,
  );
  const found = new Set<string>();
  for (const text of code) {
    for (const m of text.matchAll(/\bddcn(?:\.js)?[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?/g))
      found.add(m[2] ? `${m[1]} ${m[2]}` : m[1]!);
  }
  return [...found].sort();
}

/** The names under "Commands:" in a commander help text. */
function listed(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

const runbook = readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8');
const named = namedCommands(runbook);
const help = new Map<string, string[]>(); // '' → top-level commands; 'import' → its subcommands …

beforeAll(async () => {
  const top = await ddcn(['--help'], {});
  expect(top.code).toBe(0);
  help.set('', listed(top.stdout));
  const groups = [...new Set(named.map((n) => n.split(' ')[0]!))].filter((g) => help.get('')!.includes(g));
  const helps = await Promise.all(groups.map((g) => ddcn([g, '--help'], {})));
  groups.forEach((g, i) => help.set(g, listed(helps[i]!.stdout)));
}, 120_000);

describe('the commands the runbook names', () => {
  it('include the whole nightly sequence', () => {
    expect(named).toEqual(
      expect.arrayContaining([
        'import participants',
        'import corrections',
        'run',
        'lists',
        'report progress',
        'migrate',
        'export results',
        'batch status',
      ]),
    );
  });

  it('exist in the CLI, and in the contract', () => {
    const contract = readFileSync(path.join(ROOT, 'docs/interface.md'), 'utf8');
    const missing: string[] = [];
    for (const n of named) {
      const [cmd, sub] = n.split(' ') as [string, string | undefined];
      const exists =
        help.get('')!.includes(cmd) &&
        (sub === undefined || (help.get(cmd) ?? []).length === 0 || help.get(cmd)!.includes(sub));
      if (!exists) missing.push(n);
    }
    expect(missing).toEqual([]);
    // `ddcn users add` is in the contract as `ddcn users add …`; a group named alone (`ddcn import`) as its subcommands.
    expect(named.filter((n) => !contract.includes(`ddcn ${n}`))).toEqual([]);
  });
});

describe("the runbook's morning grep", () => {
  // `grep -E '^ddcn: |"level":(40|50)' nightly.log` finds what went wrong: a flag mistyped in the crontab or the
  // nightly script (exit 2) too. The argument parser's own `error: unknown option …` lines were not found by it.
  const grep = /^ddcn: |"level":(40|50)/m;
  it('finds a usage error of the argument parser', async () => {
    for (const args of [['run', '--registy', 'http'], ['lists'], ['import', 'participant', 'x.csv'], ['report', 'progress', '--out', 'x.xlsx', '--period', 'year']]) {
      const r = await ddcn(args, {});
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(grep);
    }
  }, 120_000);
});
