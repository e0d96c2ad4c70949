-- A unit's Mẫu 03 as of a past day counted the people of the unit *now*: a worker who changed employer since was
-- counted by the new unit for the days before, and no longer by the old one, so a unit's report of last month
-- changed after the fact. participant_state now records each change of managing unit with the unit the person
-- left (left_unit; '' when they had none). A person's unit as of a moment is the unit left by their first change
-- after it, or their unit now when there was none since (src/db/reports.ts, UNIT_AS_OF). Only a change of unit
-- writes the column, so imports that move nobody store nothing more. Moves before this migration were not
-- recorded: for those days the unit now stands, as before.
ALTER TABLE participant_state ADD COLUMN left_unit text COLLATE "C";
-- The people who left a unit, for its report (few rows: a partial index).
CREATE INDEX participant_state_left_unit ON participant_state (left_unit) INCLUDE (ma_so_bhxh) WHERE left_unit IS NOT NULL;

CREATE OR REPLACE FUNCTION participant_state_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, changed_version, left_unit)
  VALUES (NEW.ma_so_bhxh, NEW.updated_at, NEW.vssid, NEW.ma_tinh, NEW.ma_huyen,
          CASE WHEN NEW.status = 'PENDING' AND OLD.status <> 'PENDING' AND NEW.data_version <> OLD.data_version
               THEN NEW.data_version END,
          CASE WHEN OLD.ma_don_vi IS DISTINCT FROM NEW.ma_don_vi THEN coalesce(OLD.ma_don_vi, '') END);
  RETURN NULL;
END $$;

DROP TRIGGER participant_state_change ON participant;
CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen, ma_don_vi, status ON participant FOR EACH ROW
  WHEN (old.vssid IS DISTINCT FROM new.vssid OR old.ma_tinh IS DISTINCT FROM new.ma_tinh OR old.ma_huyen IS DISTINCT FROM new.ma_huyen
        OR old.ma_don_vi IS DISTINCT FROM new.ma_don_vi
        OR (new.status = 'PENDING' AND old.status <> 'PENDING' AND new.data_version <> old.data_version))
  EXECUTE FUNCTION participant_state_after_change();
