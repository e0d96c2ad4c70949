-- The portal's dashboards count one province's, district's or unit's people as of a date (src/db/reports.ts):
-- the people who had the office's codes, and each one's outcomes, are found by index instead of by reading the
-- whole history. Each costs an index entry per state change (imports) and per outcome stored (runs).
CREATE INDEX participant_state_office ON participant_state (ma_tinh, ma_huyen) INCLUDE (ma_so_bhxh, valid_from);
CREATE INDEX verification_person ON verification (ma_so_bhxh);

-- Every dashboard asks whether the state history moved since its figures were kept (src/db/figures-cache.ts):
-- max(id) by index instead of a scan of the whole table. Appended at the right edge: the cheapest index entry.
CREATE INDEX participant_state_id ON participant_state (id);

-- figures_cache is bounded when written (src/db/figures-cache.ts): the oldest figures go first.
CREATE INDEX figures_cache_computed ON figures_cache (computed_at);
