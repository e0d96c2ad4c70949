// The registry's side of the file exchange, for tests and demos (`ddcn registry answer`): reads the request files
// in the outbox, answers them with the mock registry (so with matchPerson), writes the answer files to the inbox
// and moves what it handled to outbox/answered/, as a gateway that picks files up would.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { MockRegistry } from '../adapters/mock.js';
import {
  ANSWER_COLUMNS, answerFileFor, answerRow, formatExchangeFile, isInProgress, parseExchangeFile, REQUEST_COLUMNS, REQUEST_PREFIX,
  requestFromRow, SHARE_COLUMNS, SHARE_PREFIX,
} from '../adapters/file-exchange-format.js';
import { ensureDir, listFiles, moveInto, writeFileAtomic } from '../adapters/file-exchange-fs.js';

export interface AnswerRun {
  requests: number; // request files answered
  people: number;
  shares: number; // share files accepted
  skipped: string[]; // files left where they are, unreadable
}

export async function answerRequestFiles(opts: { registry: MockRegistry; outbox: string; inbox: string; log: Logger }): Promise<AnswerRun> {
  await ensureDir(opts.inbox, 'inbox');
  const out: AnswerRun = { requests: 0, people: 0, shares: 0, skipped: [] };
  for (const name of await listFiles(opts.outbox)) {
    if (isInProgress(name) || !name.endsWith('.csv')) continue;
    const isRequest = name.startsWith(REQUEST_PREFIX);
    if (!isRequest && !name.startsWith(SHARE_PREFIX)) continue;
    let parsed;
    try {
      parsed = await parseExchangeFile(await readFile(path.join(opts.outbox, name), 'utf8'), isRequest ? REQUEST_COLUMNS : SHARE_COLUMNS);
    } catch (err) {
      opts.log.warn({ file: name, detail: (err as Error).message }, 'unreadable exchange file left in the outbox');
      out.skipped.push(name);
      continue;
    }
    if (isRequest) {
      const answers = await opts.registry.verify(parsed.rows.map(requestFromRow));
      const file = formatExchangeFile(ANSWER_COLUMNS, answers.map(answerRow), { requestSha256: parsed.trailer.sha256 });
      await writeFileAtomic(opts.inbox, answerFileFor(name), file.text);
      out.requests += 1;
      out.people += answers.length;
    } else {
      out.shares += 1;
    }
    await moveInto(opts.outbox, name, 'answered');
  }
  return out;
}
