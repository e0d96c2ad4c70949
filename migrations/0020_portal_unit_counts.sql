-- The portal's unit list and unit page count each unit's people per outcome, and the corrected ones, within the
-- user's province or district (src/db/portal-queries.ts). With only ma_don_vi in the index, every person of the
-- page's 50 units was a heap fetch from anywhere in the table (a province's page: ~2 400 random reads, 40–50 ms);
-- with the outcome, the office codes and the code in the index the counts are an index-only scan (~9 ms). The
-- index replaces participant_ma_don_vi, so an import still writes one entry per person for it. (A participant's
-- outcome is now in an index, so an UPDATE of the status alone is no longer HOT; after a bulk load the pages are
-- full and such updates were rarely HOT anyway.)
CREATE INDEX participant_unit_counts ON participant (ma_don_vi) INCLUDE (status, ma_tinh, ma_huyen, ma_so_bhxh);
DROP INDEX participant_ma_don_vi;

-- A province's or district's units in code order: the unit list's page is read from here instead of sorting the
-- whole unit table (20 000 rows at 1 M participants, ~8 ms a page).
CREATE INDEX unit_office ON unit (ma_tinh, ma_huyen, ma_don_vi);
