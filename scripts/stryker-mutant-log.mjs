// A Stryker reporter (`mutant-log` in stryker.config.json) that keeps a run's results as they come, so that a run
// stopped early is not wasted:
//
// - reports/mutation/mutants.jsonl: one line per mutant as soon as it is known (`t` is the milliseconds since the
//   mutation phase began, for the rate per folder);
// - the incremental file (`incrementalFile` in stryker.config.json): rewritten every 30 s and when the run is
//   stopped (Ctrl-C, SIGTERM, `timeout`), in the same form Stryker writes at the end of a run that finishes. The next
//   `npm run mutate` reuses every result in it and tests only the rest, so the whole scope — hours on a 2-core
//   machine — can be covered in several sittings (`timeout 30m npm run mutate`, night after night).
//
// Stryker writes its own incremental file only once every mutant is tested; when a run finishes, that file replaces
// ours (same content, complete). What we write is built the way Stryker builds it
// (core/dist/src/reporters/mutation-test-report-helper.js): per source file its current text and the results known
// so far — results reused from the last file count, Stryker reports them first — and per test file its text and
// the tests of the dry run, with the tests the last file knew that this run did not run (a narrower test set).
import fs from 'node:fs';
import path from 'node:path';
import { declareClassPlugin, commonTokens, PluginKind } from '@stryker-mutator/api/plugin';

const LOG = 'reports/mutation/mutants.jsonl';
const EVERY_MS = 30_000;
/** The folders whose files' texts are kept as the run found them (see readTexts). */
const SOURCE_DIRS = ['src', 'test'];

class MutantLogReporter {
  static inject = [commonTokens.options];

  constructor(options) {
    this.options = options;
    this.file = path.resolve(LOG);
    this.start = Date.now();
    this.results = new Map(); // mutant key → schema mutant result (with fileName)
    this.tests = new Map(); // test id → { fileName, name, location }
    this.lastWrite = 0;
    this.done = false;
    this.texts = readTexts(SOURCE_DIRS);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, '');
    this.incrementalFile = options.incremental ? path.resolve(options.incrementalFile) : null;
    if (this.incrementalFile) {
      this.oldTests = readOldTests(this.incrementalFile);
      // Stryker turns SIGINT, SIGTERM and the like into process.exit(); writing files synchronously is allowed here.
      process.on('exit', () => this.writeSnapshot());
    }
  }

  onDryRunCompleted({ result }) {
    for (const t of result.tests) {
      this.tests.set(t.id, {
        fileName: t.fileName,
        name: t.name,
        location: t.startPosition ? { start: toSchemaPosition(t.startPosition) } : undefined,
      });
    }
  }

  onMutationTestingPlanReady({ mutantPlans }) {
    this.start = Date.now();
    const run = mutantPlans.filter((p) => p.plan === 'Run').length;
    fs.appendFileSync(this.file, `${JSON.stringify({ plan: { mutants: mutantPlans.length, run } })}\n`);
  }

  onMutantTested(r) {
    const line = {
      t: Date.now() - this.start,
      file: r.fileName,
      line: r.location.start.line,
      col: r.location.start.column,
      mutator: r.mutatorName,
      replacement: r.replacement,
      status: r.status,
      tests: r.testsCompleted,
      killedBy: r.killedBy,
    };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    if (!this.incrementalFile) return;
    this.results.set(`${r.fileName}@${r.id}`, r);
    if (Date.now() - this.lastWrite >= EVERY_MS) this.writeSnapshot();
  }

  /**
   * A file's text as the run found it. Read from disk at each snapshot, a file edited while the run goes (it runs
   * for hours) would be recorded with results found on its old text, and the next run would reuse them at the
   * wrong places.
   */
  textOf(fileName) {
    return this.texts.get(path.resolve(fileName)) ?? readText(fileName);
  }

  // Stryker writes the complete file after this; ours must not overwrite it.
  onMutationTestReportReady() {
    this.done = true;
  }

  writeSnapshot() {
    if (this.done || !this.incrementalFile || this.results.size === 0) return;
    this.lastWrite = Date.now();
    const files = {};
    const referenced = new Set();
    for (const r of this.results.values()) {
      const name = relative(r.fileName);
      files[name] ??= { language: 'typescript', source: this.textOf(r.fileName), mutants: [] };
      const { fileName: _f, ...mutant } = r;
      files[name].mutants.push(mutant);
      for (const id of [...(r.coveredBy ?? []), ...(r.killedBy ?? [])]) referenced.add(id);
    }
    const testFiles = {};
    const addTest = (id, t) => {
      const name = relative(t.fileName);
      testFiles[name] ??= { source: t.fileName ? this.textOf(t.fileName) : undefined, tests: [] };
      testFiles[name].tests.push({ id, name: t.name, location: t.location });
    };
    for (const [id, t] of this.tests) addTest(id, t);
    // Tests this run did not run but whose ids reused results still name (Stryker gives them their key as id).
    for (const id of referenced) {
      if (this.tests.has(id)) continue;
      const old = this.oldTests.get(id);
      if (old) addTest(id, old);
    }
    const report = compactTestIds({
      schemaVersion: '1.0',
      thresholds: this.options.thresholds,
      files,
      testFiles,
      projectRoot: process.cwd(),
    });
    const tmp = `${this.incrementalFile}.partial`;
    fs.mkdirSync(path.dirname(this.incrementalFile), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(report, null, 2));
    fs.renameSync(tmp, this.incrementalFile);
  }
}

// The last incremental file's tests by the key Stryker's differ gives a test it carries over without running it
// (core/dist/src/mutants/incremental-differ.js, testToIdentifyingKey).
function readOldTests(file) {
  const byKey = new Map();
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return byKey;
  }
  for (const [fileName, testFile] of Object.entries(report.testFiles ?? {})) {
    for (const t of testFile.tests ?? []) {
      const start = t.location?.start ?? { line: 0, column: 0 };
      byKey.set(`${fileName}@${start.line}:${start.column}\n${t.name}`, {
        fileName: fileName ? path.resolve(fileName) : '',
        name: t.name,
        location: t.location,
      });
    }
  }
  return byKey;
}

/**
 * Test ids as Stryker writes them: '0', '1', … in the order of testFiles, instead of `file#full test name` repeated
 * in every mutant's coveredBy (at the whole scope, tens of megabytes). An id no test carries is kept as it is.
 */
export function compactTestIds(report) {
  const ids = new Map();
  for (const testFile of Object.values(report.testFiles)) {
    for (const t of testFile.tests) {
      if (!ids.has(t.id)) ids.set(t.id, String(ids.size));
      t.id = ids.get(t.id);
    }
  }
  const remap = (list) => list?.map((id) => ids.get(id) ?? id);
  for (const file of Object.values(report.files)) {
    for (const m of file.mutants) {
      if (m.coveredBy) m.coveredBy = remap(m.coveredBy);
      if (m.killedBy) m.killedBy = remap(m.killedBy);
    }
  }
  return report;
}

function toSchemaPosition(pos) {
  return { line: pos.line + 1, column: pos.column + 1 };
}

function relative(fileName) {
  return fileName ? path.relative(process.cwd(), fileName).split(path.sep).join('/') : '';
}

/** The text of every file under `dirs`, by absolute path, read when the run starts (a few MB). */
function readTexts(dirs) {
  const texts = new Map();
  for (const dir of dirs) {
    let names = [];
    try {
      names = fs.readdirSync(dir, { recursive: true });
    } catch {
      continue;
    }
    for (const name of names) {
      if (!/\.(ts|mts|js|mjs)$/.test(name)) continue;
      const text = readText(path.join(dir, name));
      if (text !== undefined) texts.set(path.resolve(dir, name), text);
    }
  }
  return texts;
}

function readText(fileName) {
  try {
    return fs.readFileSync(fileName, 'utf8');
  } catch {
    return undefined;
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'mutant-log', MutantLogReporter)];
