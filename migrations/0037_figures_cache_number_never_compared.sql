-- Mẫu 03's (13) no longer counts as escalated a corrected person whose number the registry does not know, when that
-- number is not one the unit gave in (13): the registry compared nothing of what the unit corrected (src/db/lists.ts,
-- NUMBER_NEVER_COMPARED; src/db/reports.ts, correctionCountsAsOf). Figures kept as of a settled moment carry no rule
-- of their own (as for 0032 and 0035): the corrections counted under the old one would be shown on the dashboards for
-- a week more, against `ddcn report progress` for the same day. Those are emptied; everyone's outcomes are kept.
DELETE FROM figures_cache WHERE narrow LIKE 'corrections:%';
