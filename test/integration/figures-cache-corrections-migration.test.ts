// Migration 0035: Mẫu 03's corrections counts (12)/(13) changed their rule (a corrected field the participants file
// replaced since no longer credits the correction). A settled cut-off's figures are cached as 'past', with nothing of
// the rule in their key: without the migration the dashboards kept showing the old (13) for a week after the upgrade.
import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { databaseAtMigration } from '../helpers/db.js';
import { rows } from '../helpers/pipeline.js';

it('empties the corrections figures kept under the old rule, and keeps the outcomes', async () => {
  const { db, drop } = await databaseAtMigration(34);
  try {
    await db.query(
      `INSERT INTO figures_cache (cutoff, narrow, fingerprint, counts, computed_at) VALUES
         ('2024-06-30T17:00:00Z', 'corrections:p=;d=;u=', 'past', '[{"key":"079","corrected":1,"rematched":0,"escalated":1}]', now()),
         ('2024-06-30T17:00:00Z', 'outcomes:p=;d=;u=', 'past', '[]', now())`,
    );
    expect(await migrate(db)).toContainEqual(expect.stringMatching(/^0035_/));
    expect(await rows(db, 'SELECT narrow FROM figures_cache ORDER BY 1')).toEqual([{ narrow: 'outcomes:p=;d=;u=' }]);
  } finally {
    await drop();
  }
});
