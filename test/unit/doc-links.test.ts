// The README and docs/ are read in the repository alone (a clone, a tarball): every file they point to, and every
// heading they point at, must be in it. References are markdown links and file names written as code
// (`docs/forms.md`), which readers follow as well.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchors: lower case, punctuation dropped (letters with diacritics kept), spaces to hyphens, -1, -2 … for repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const body = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of body.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative references of a markdown file: link targets, and `*.md` paths written as code. */
function references(markdown: string): string[] {
  const body = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const links = [...body.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
  const code = [...body.matchAll(/`([^`\s]+\.md(?:#[^`\s]*)?)`/g)].map((m) => m[1]!);
  return [...links, ...code].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t)); // not http:, mailto: …
}

function problem(from: string, target: string): string | null {
  const [file, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved =
    file === '' ? path.join(ROOT, from) : path.resolve(path.dirname(path.join(ROOT, from)), decodeURI(file));
  if (resolved !== ROOT && !resolved.startsWith(ROOT + path.sep)) return `${from}: ${target} is outside the repository`;
  if (!existsSync(resolved)) return `${from}: ${target} does not exist`;
  if (anchor !== undefined) {
    if (!statSync(resolved).isFile()) return `${from}: ${target} points into a folder`;
    if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor)))
      return `${from}: no heading #${anchor} in ${file || from}`;
  }
  return null;
}

describe('links in README.md and docs/', () => {
  it('finds the documents and their references (the check below is not empty)', () => {
    expect(DOCS).toEqual(
      expect.arrayContaining(['README.md', 'docs/README.md', 'docs/interface.md', 'docs/runbook.md']),
    );
    const all = DOCS.flatMap((d) => references(readFileSync(path.join(ROOT, d), 'utf8')));
    expect(all.length).toBeGreaterThan(20);
  });

  it('points only at files and headings inside the repository', () => {
    const problems = DOCS.flatMap((d) =>
      references(readFileSync(path.join(ROOT, d), 'utf8')).map((t) => problem(d, t)),
    );
    expect(problems.filter(Boolean)).toEqual([]);
  });

  it('reads anchors and references as GitHub does', () => {
    expect(anchors('# Column 9 of Mẫu 02: how to read it\n## A\n## A\n```\n# not a heading\n```')).toEqual(
      new Set(['column-9-of-mẫu-02-how-to-read-it', 'a', 'a-1']),
    );
    expect(
      references('see [x](docs/a.md#b), `../shared/docs/interface.md`, [web](https://example.vn) and `npm test`'),
    ).toEqual(['docs/a.md#b', '../shared/docs/interface.md']);
    expect(problem('README.md', '../shared/docs/interface.md')).toMatch(/outside the repository/);
    expect(problem('README.md', 'docs/nope.md')).toMatch(/does not exist/);
  });
});
