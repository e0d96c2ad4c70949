// A Stryker reporter (`mutant-log` in stryker.config.json) that appends each mutant's result to
// reports/mutation/mutants.jsonl as soon as it is known. Stryker writes its own reports only at the very end; a
// whole-scope run on this 2-core machine takes longer than an evening's slot, and a run stopped early would
// otherwise leave nothing. `t` is the milliseconds since the mutation phase began, for the rate per folder.
import fs from 'node:fs';
import path from 'node:path';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

const FILE = 'reports/mutation/mutants.jsonl';

class MutantLogReporter {
  constructor() {
    this.file = path.resolve(FILE);
    this.start = Date.now();
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, '');
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
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'mutant-log', MutantLogReporter)];
