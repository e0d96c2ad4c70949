// A migration, once released, never changes: the runner records it by name, so a database that applied it never
// applies it again, and an edit in place reaches only new databases (an upgrade review found eight such edits in the
// history, each leaving upgraded databases unlike new ones: a missing function, foreign keys, an index). Every
// migration's SHA-256 is frozen here. A test failing here means: put the file back as it was and write the change
// as a new migration. A new migration adds its line (its first 16 hex digits: `sha256sum migrations/NNNN_….sql`).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const FROZEN: Array<[file: string, sha256: string]> = [
  ['0001_init.sql', 'a7abfc06da3eecb7'],
  ['0002_lists_corrections_progress.sql', '2a6b40c77aa115b6'],
  ['0003_file_exchange.sql', 'e08a85220e81e62e'],
  ['0004_lighter_verification_writes.sql', '7214b303f25de951'],
  ['0005_verification_number_sent.sql', '590efd4469631de3'],
  ['0006_outcome_history_from_verification.sql', 'bf67efa97fc9c634'],
  ['0007_participant_fillfactor.sql', '31b781f282a79479'],
  ['0008_participant_source_hash.sql', '7119ee1689e07c88'],
  ['0012_portal_accounts.sql', '8d8e223a1c8e1133'],
  ['0013_portal_unit_index.sql', '0dbb64d82cb4b1ff'],
  ['0014_figures_cache.sql', 'b6e2223e2b430a68'],
  ['0016_distributed_run.sql', 'f6363e9a91ee6e26'],
  ['0017_portal_figures_indexes.sql', '4714a68ae6389b46'],
  ['0018_portal_login_attempts.sql', '5579414b63682360'],
  ['0020_portal_unit_counts.sql', '70dfc607e0e3fbe0'],
  ['0021_import_work.sql', 'ef6c3fa2b8b6e4be'],
  ['0022_code_collation.sql', '0e979e584ebe9660'],
  ['0023_cheaper_number_checks.sql', '78da8da78e16ad0f'],
  ['0024_refused_answers.sql', 'fd022aed170e1cef'],
  ['0025_unit_search.sql', '25583d7f17b49f10'],
  ['0026_unit_search_fill.sql', 'aebd0851315fb50f'],
  ['0027_batch_request_size.sql', 'a87478698a12f3ca'],
  ['0028_state_data_version.sql', '863a844b15c2d2a8'],
  ['0029_state_unit_moves.sql', '15f8ece763286f66'],
  ['0030_audit_unknown_logins.sql', 'bd42070abae80149'],
  ['0031_batch_opened_by.sql', '93903a127795fb18'],
  ['0032_figures_cache_outcomes_in_effect.sql', '4f3231ab1ded870f'],
  ['0033_province_one_form.sql', '832aad5688ade2f3'],
  ['0034_district_three_digits.sql', 'b4139bb5b8d798f2'],
  ['0035_figures_cache_corrected_data_stands.sql', '46e14c55704da28f'],
  ['0036_state_mark_pending_changes.sql', '31dbc114624a166b'],
  ['0037_figures_cache_number_never_compared.sql', 'd17bd82f75ac2c03'],
  ['0038_reread_midnight_dates.sql', '19807b2e457c1bfe'],
  ['0039_reread_excel_text_and_apostrophes.sql', '9b72e14fd0b9e6ce'],
  ['0040_mark_corrections_replaced_while_pending.sql', '171513777780e510'],
  ['0041_index_corrections_by_import.sql', '872b9c1265d7fdde'],
];

describe('the released migrations', () => {
  it('are exactly as released: a change is a new migration, never an edit', () => {
    const dir = path.join(ROOT, 'migrations');
    const now = readdirSync(dir)
      .filter((f) => /^\d{4}_.+\.sql$/.test(f))
      .sort()
      .map((f) => [f, createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex').slice(0, 16)]);
    expect(now).toEqual(FROZEN);
  });
});
