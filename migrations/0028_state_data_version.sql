-- participant_state records the version of a participant's verified data (name, date of birth, sex, number) as
-- well: Mẫu 03 as of a day counts someone whose data changed after their last verification, other than by a
-- correction of Mẫu 02, as not verified yet — as the participant's own status says once the import has set it
-- PENDING. Rows written before this migration have none (NULL): their people count as before.
ALTER TABLE participant_state ADD COLUMN data_version integer;

CREATE OR REPLACE FUNCTION participant_state_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, data_version)
  VALUES (NEW.ma_so_bhxh, NEW.updated_at, NEW.vssid, NEW.ma_tinh, NEW.ma_huyen, NEW.data_version);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION participant_state_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, data_version)
  SELECT n.ma_so_bhxh, n.updated_at, n.vssid, n.ma_tinh, n.ma_huyen, n.data_version FROM inserted n;
  RETURN NULL;
END $$;

DROP TRIGGER participant_state_change ON participant;
CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen, data_version ON participant FOR EACH ROW
  WHEN (old.vssid IS DISTINCT FROM new.vssid OR old.ma_tinh IS DISTINCT FROM new.ma_tinh OR old.ma_huyen IS DISTINCT FROM new.ma_huyen
        OR old.data_version IS DISTINCT FROM new.data_version)
  EXECUTE FUNCTION participant_state_after_change();
