-- Mẫu 03's (12) and (13) no longer count a corrected person verified after the participants file replaced a corrected
-- field (src/db/lists.ts, CORRECTED_DATA_STANDS; src/db/reports.ts, correctionCountsAsOf). Figures kept as of a
-- settled moment carry no rule of their own (as for 0032): the corrections counted under the old one would be shown
-- on the dashboards for a week more, against `ddcn report progress` for the same day. Those are emptied; everyone's
-- outcomes, which did not change, are kept.
DELETE FROM figures_cache WHERE narrow LIKE 'corrections:%';
