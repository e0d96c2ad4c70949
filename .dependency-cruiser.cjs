// Layers point one way: domain ← db / adapters ← reports ← pipeline ← cli / portal (README, Layout).
// `npm run depcheck` (part of `npm test`) fails on any import that runs back up, and on any cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
const up = (from, to, comment) => ({ name: `${from}-not-to-${to.join('-')}`, severity: 'error', comment, from: { path: `^src/${from}/` }, to: { path: `^src/(${to.join('|')})/` } });

module.exports = {
  forbidden: [
    up('domain', ['db', 'adapters', 'reports', 'pipeline', 'cli', 'portal', 'registry-server'], 'domain holds pure rules and the shared types: it imports nothing above it'),
    up('db', ['adapters', 'reports', 'pipeline', 'cli', 'portal', 'registry-server'], 'db stores what the layers above hand it; shared types live in src/domain'),
    up('adapters', ['reports', 'pipeline', 'cli', 'portal'], 'registry adapters sit beside db, under the stages'),
    up('reports', ['db', 'pipeline', 'cli', 'portal'], 'the forms are handed plain rows; the stages read the database'),
    up('pipeline', ['cli', 'portal'], 'stages are functions of their dependencies; the CLI wires them'),
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle, even of types only, means two modules are one: move the shared part down',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true, // type-only imports count: they are where layering rots first
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
