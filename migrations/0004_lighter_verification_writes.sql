-- Fewer index writes for every verified person. A verified person's row is rewritten once per batch, and
-- PostgreSQL adds an entry to every index of the table whenever the number on file changes (no HOT update),
-- so each index here costs on about two thirds of all verifications.

-- (ma_tinh, ma_don_vi) only served `ddcn lists --unit/--province`, which read the whole list query sorted
-- anyway; a scan of participant there is cheaper than an index entry on every verification.
DROP INDEX participant_unit;

-- The state history had a surrogate primary key and a second index for the as-of lookups; the lookup index,
-- made unique with the surrogate, is the primary key now: one index written per state change instead of two.
ALTER TABLE participant_state DROP CONSTRAINT participant_state_pkey;
DROP INDEX participant_state_person;
ALTER TABLE participant_state ADD PRIMARY KEY (ma_so_bhxh, valid_from, id);
