-- An import that changes what the registry compares of a person records the data version it made
-- (participant_state.changed_version, 0028) only when it moves them into PENDING. A person already PENDING (a
-- registry failure the night after the unit's correction) whose corrected field the next export replaced got no
-- mark: verified on the source's new data and still not matching, they were put on the IT centre's escalation list
-- and counted in Mẫu 03's (13) as if the unit's correction had failed. Now the change is marked for a person PENDING
-- already too (one verified before), when it is one the registry would compare differently (as the import decides it,
-- db/participants.ts VERIFIED_DATA_MOVED: a name by its key). Corrections set no status and fire no mark, as before.
CREATE OR REPLACE FUNCTION participant_state_data_moved(o participant, n participant) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT n.status = 'PENDING' AND n.data_version <> o.data_version
     AND (o.status <> 'PENDING'
          -- PENDING already: only someone verified before (never verified, nothing of theirs counts a version).
          OR o.verified_version IS NOT NULL
             AND ((o.ngay_sinh, o.gioi_tinh, o.so_giay_to) IS DISTINCT FROM (n.ngay_sinh, n.gioi_tinh, n.so_giay_to)
                  OR name_key(o.ho_ten) IS DISTINCT FROM name_key(n.ho_ten)))
$$;

CREATE OR REPLACE FUNCTION participant_state_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, changed_version, left_unit)
  VALUES (NEW.ma_so_bhxh, NEW.updated_at, NEW.vssid, NEW.ma_tinh, NEW.ma_huyen,
          CASE WHEN participant_state_data_moved(OLD, NEW) THEN NEW.data_version END,
          CASE WHEN OLD.ma_don_vi IS DISTINCT FROM NEW.ma_don_vi THEN coalesce(OLD.ma_don_vi, '') END);
  RETURN NULL;
END $$;

DROP TRIGGER participant_state_change ON participant;
CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen, ma_don_vi, status ON participant FOR EACH ROW
  WHEN (old.vssid IS DISTINCT FROM new.vssid OR old.ma_tinh IS DISTINCT FROM new.ma_tinh OR old.ma_huyen IS DISTINCT FROM new.ma_huyen
        OR old.ma_don_vi IS DISTINCT FROM new.ma_don_vi
        -- The function only where it can be true: the run's write step updates every person it verified.
        OR (new.status = 'PENDING' AND new.data_version <> old.data_version AND participant_state_data_moved(old, new)))
  EXECUTE FUNCTION participant_state_after_change();
