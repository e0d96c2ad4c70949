-- Codes and numbers compare byte by byte: mã số BHXH, CCCD/CMND, ĐDCN, unit, province and district codes are
-- identifiers, never words, so they take the "C" collation whatever the database's own locale.
--
-- Why: with a database locale other than C (C.UTF-8 and en_US.UTF-8 included, in PostgreSQL 15), every comparison
-- of these columns went through the C library's strcoll, and sorts could not use abbreviated keys. Measured on
-- 1 M rows (this server, C.UTF-8): building the index on so_giay_to 865 → 430 ms, the unit index 947 → 574 ms, the
-- import's index builds ~4.0 → ~2.8 s in all; 100 000 updates of a participant's number and outcome 2.0 → 1.7 s.
-- Equality is unchanged (both collations are deterministic). Order is code-point order, as it was under C.UTF-8;
-- under a locale such as en_US.UTF-8 it changes for codes with lower-case letters, punctuation or letters beyond
-- ASCII (a code starting with Đ now comes after every ASCII code): codes are listed in the same order on every
-- server. (ILIKE under "C" folds ASCII letters only: the portal's unit search compares in the database's collation.)
-- The import's work tables take "C" too, so that their sorts of codes (the search for duplicate keys) are byte
-- order as well.
--
-- On an existing database this rebuilds the indexes of these columns and reads each table again to check its
-- constraints (the rows are not rewritten), and gathers the statistics that changing a column's type drops.
-- Every table is locked first, in one statement, before any work, so that the wait for a table in use comes before
-- the index rebuilds; the migration runner bounds that wait below the deadlock check (half a second), gives way to
-- the batch or import holding the table, and tries again (src/db/migrate.ts).
LOCK TABLE participant, participant_state, participant_correction, number_history, verification, share_record,
  exchange_item, unit, portal_user, portal_upload, vssid_target IN ACCESS EXCLUSIVE MODE;

DROP TRIGGER participant_state_change ON participant;

ALTER TABLE participant
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN so_giay_to TYPE text COLLATE "C",
  ALTER COLUMN so_ddcn TYPE text COLLATE "C",
  ALTER COLUMN ma_don_vi TYPE text COLLATE "C",
  ALTER COLUMN ma_tinh TYPE text COLLATE "C",
  ALTER COLUMN ma_huyen TYPE text COLLATE "C";
ALTER TABLE participant_state
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN ma_tinh TYPE text COLLATE "C",
  ALTER COLUMN ma_huyen TYPE text COLLATE "C";
ALTER TABLE participant_correction ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C";
ALTER TABLE number_history
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN so_cu TYPE text COLLATE "C",
  ALTER COLUMN so_moi TYPE text COLLATE "C";
ALTER TABLE verification
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN so_ddcn TYPE text COLLATE "C",
  ALTER COLUMN so_giay_to TYPE text COLLATE "C";
ALTER TABLE share_record
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN so_ddcn TYPE text COLLATE "C";
ALTER TABLE exchange_item
  ALTER COLUMN ma_so_bhxh TYPE text COLLATE "C",
  ALTER COLUMN so_ddcn TYPE text COLLATE "C";
ALTER TABLE unit
  ALTER COLUMN ma_don_vi TYPE text COLLATE "C",
  ALTER COLUMN ma_tinh TYPE text COLLATE "C",
  ALTER COLUMN ma_huyen TYPE text COLLATE "C";
ALTER TABLE portal_user
  ALTER COLUMN ma_don_vi TYPE text COLLATE "C",
  ALTER COLUMN ma_tinh TYPE text COLLATE "C",
  ALTER COLUMN ma_huyen TYPE text COLLATE "C";
ALTER TABLE portal_upload ALTER COLUMN ma_don_vi TYPE text COLLATE "C";
ALTER TABLE vssid_target
  ALTER COLUMN ma_tinh TYPE text COLLATE "C",
  ALTER COLUMN ma_huyen TYPE text COLLATE "C";

CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen ON participant FOR EACH ROW
  WHEN (old.vssid IS DISTINCT FROM new.vssid OR old.ma_tinh IS DISTINCT FROM new.ma_tinh OR old.ma_huyen IS DISTINCT FROM new.ma_huyen)
  EXECUTE FUNCTION participant_state_after_change();

ANALYZE participant, participant_state, participant_correction, number_history, verification, share_record,
  exchange_item, unit, portal_user, portal_upload, vssid_target;
