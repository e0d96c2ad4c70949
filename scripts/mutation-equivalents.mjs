// `node scripts/mutation-equivalents.mjs [--check]`: the equivalent mutants, as marked in the code.
//
// A mutant no test can kill because it changes nothing a user or a test can see (a planner setting, a shortcut, a
// cache, an unreachable fallback) is marked where it is, on the line before it:
//   // Stryker disable next-line ConditionalExpression,EqualityOperator: why it changes nothing
// Stryker then reports it as "Ignored" and never runs it, so it costs no run any time (an equivalent survivor runs
// every test that reaches it, minutes for the db and pipeline writers, whenever a covering test changes). This script
// writes the list of those marks, with their reasons, to docs/mutation-equivalents.md; `--check` only says whether
// that file is up to date (a unit test runs it, so the list cannot drift from the code).
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DOC = 'docs/mutation-equivalents.md';
const MARK = /\/\/ Stryker disable next-line ([\w,.]+): (.+)$/;

function sourceFiles(dir) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The list's text, and how many marks it holds. */
export function equivalentsMarkdown() {
  const rows = [];
  const bare = [];
  for (const file of sourceFiles('src').sort()) {
    const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const m = MARK.exec(text);
      if (!m && text.includes('Stryker disable')) bare.push(`${file}:${i + 1}`);
      // Stryker reads a mark as a leading comment of the node on the next line: before `} catch`, `} finally` or
      // `else` it leads no node there, and the mutants it names are run all the same.
      if (m && /^\s*(\}|else\b)/.test(lines[i + 1] ?? '')) bare.push(`${file}:${i + 1} (before \`}\` or \`else\`: it leads no node)`);
      if (m) rows.push(`| \`${file.replace(/^src\//, '')}:${i + 2}\` | ${m[1].split(',').join(', ')} | ${m[2].replaceAll('|', '\\|')} |`);
    });
  }
  if (bare.length) throw new Error(`Stryker marks that do not work as "next-line <mutators>: <reason>": ${bare.join(', ')}`);
  const text = [
    '# Equivalent mutants',
    '',
    'Written by `node scripts/mutation-equivalents.mjs` from the `// Stryker disable next-line` marks in `src/`; do not',
    'edit by hand. Each mark names the mutators it turns off on the line after it and says why none of their mutants',
    'there changes anything a user or a test can see. Stryker reports them as "Ignored" and never runs them. How mutants',
    'are classified, and the scores: [mutation-testing.md](mutation-testing.md).',
    '',
    `${rows.length} marks.`,
    '',
    '| line | mutators | why it changes nothing |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  return { text, marks: rows.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { text, marks } = equivalentsMarkdown();
  const target = path.join(ROOT, DOC);
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      console.error(`${DOC} is not up to date with the Stryker marks in src/: run \`node scripts/mutation-equivalents.mjs\``);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(target, text);
    console.log(`${DOC}: ${marks} marks`);
  }
}
