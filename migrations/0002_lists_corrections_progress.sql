-- Lists back from the units (Plan 2207 II.3–II.6) and progress reporting (Mẫu 03): every correction a unit
-- returned, the VssID targets (chỉ tiêu, Phụ lục 03), and the state history that Mẫu 03 reads "as of" a date.

-- One row per field a returned Mẫu 02 changed (Plan II.5). `data_version` is the participant's version after the
-- change: once verified_version reaches it, the corrected data has been verified again (II.6).
CREATE TABLE participant_correction (
  id            bigserial PRIMARY KEY,
  import_id     bigint NOT NULL REFERENCES import_run,
  ma_so_bhxh    text NOT NULL REFERENCES participant,
  field         text NOT NULL CHECK (field IN ('name', 'dob', 'sex', 'id_number')),
  old_value     text,
  new_value     text NOT NULL,
  source_file   text NOT NULL,
  source_row    integer NOT NULL,
  data_version  integer NOT NULL,
  changed_at    timestamptz NOT NULL
);
CREATE INDEX participant_correction_person ON participant_correction (ma_so_bhxh, changed_at);

-- VssID account targets per province (ma_huyen = '') or district. Every import is kept, so a report for a past
-- date uses the targets known then.
CREATE TABLE vssid_target (
  ma_tinh         text NOT NULL,
  ma_huyen        text NOT NULL DEFAULT '',
  chi_tieu_vssid  integer NOT NULL CHECK (chi_tieu_vssid >= 0),
  import_id       bigint NOT NULL REFERENCES import_run,
  valid_from      timestamptz NOT NULL,
  PRIMARY KEY (ma_tinh, ma_huyen, valid_from)
);

-- What Mẫu 03 counts, per participant, from the moment it held: outcome, VssID, managing office, versions.
-- Written by the triggers below, so the stages that change participants need not know about it. The time is
-- the record's own (updated_at, or verified_at for an outcome), never the clock of the statement.
CREATE TABLE participant_state (
  id                bigserial PRIMARY KEY,
  ma_so_bhxh        text NOT NULL,
  valid_from        timestamptz NOT NULL,
  status            text NOT NULL,
  vssid             boolean NOT NULL,
  ma_tinh           text,
  ma_huyen          text,
  data_version      integer NOT NULL,
  verified_version  integer
);
CREATE INDEX participant_state_person ON participant_state (ma_so_bhxh, valid_from, id);

-- Statement-level with transition tables: one INSERT … SELECT per statement, not one per row, so a chunk of
-- 10 000 updates costs one extra join. (PostgreSQL allows transition tables only for single-event triggers.)
CREATE FUNCTION participant_state_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, status, vssid, ma_tinh, ma_huyen, data_version, verified_version)
  SELECT n.ma_so_bhxh, greatest(n.updated_at, n.verified_at), n.status, n.vssid, n.ma_tinh, n.ma_huyen,
         n.data_version, n.verified_version
    FROM inserted n;
  RETURN NULL;
END $$;

CREATE FUNCTION participant_state_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, status, vssid, ma_tinh, ma_huyen, data_version, verified_version)
  SELECT n.ma_so_bhxh, greatest(n.updated_at, n.verified_at), n.status, n.vssid, n.ma_tinh, n.ma_huyen,
         n.data_version, n.verified_version
    FROM updated n JOIN previous o ON o.ma_so_bhxh = n.ma_so_bhxh
   WHERE (n.status, n.vssid, n.ma_tinh, n.ma_huyen, n.data_version, n.verified_version)
         IS DISTINCT FROM (o.status, o.vssid, o.ma_tinh, o.ma_huyen, o.data_version, o.verified_version);
  RETURN NULL;
END $$;

CREATE TRIGGER participant_state_insert AFTER INSERT ON participant
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION participant_state_after_insert();
CREATE TRIGGER participant_state_update AFTER UPDATE ON participant
  REFERENCING OLD TABLE AS previous NEW TABLE AS updated FOR EACH STATEMENT EXECUTE FUNCTION participant_state_after_update();

-- Participants that existed before this migration: unverified from their creation, then their current state from
-- the last time they changed. The steps in between are not known; later reports are exact.
INSERT INTO participant_state (ma_so_bhxh, valid_from, status, vssid, ma_tinh, ma_huyen, data_version, verified_version)
SELECT ma_so_bhxh, created_at, 'PENDING', vssid, ma_tinh, ma_huyen, 1, NULL FROM participant;
INSERT INTO participant_state (ma_so_bhxh, valid_from, status, vssid, ma_tinh, ma_huyen, data_version, verified_version)
SELECT ma_so_bhxh, greatest(updated_at, verified_at), status, vssid, ma_tinh, ma_huyen, data_version, verified_version
  FROM participant
 WHERE greatest(updated_at, verified_at) > created_at OR status <> 'PENDING';
