-- Mẫu 03 reads each person's outcome "as of" a date from `verification`, the outcome history the run writes
-- anyway, instead of a second copy of it in participant_state. That copy cost a row and an index entry for every
-- person verified, written by a trigger on every chunk: about an eighth of a batch run (measured at 1 M people).
-- participant_state keeps what the outcome history does not know: when a person was added, and their VssID
-- account and managing office over time, which only imports change.

-- Whether the outcome became the person's current one. It did not when their data changed between the export
-- and the write (the next run verifies the new data): such an outcome is history, but it never held.
ALTER TABLE verification ADD COLUMN applied boolean NOT NULL DEFAULT true;

-- Outcomes stored before this migration: not applied when the person's data version at that moment, as the
-- state history recorded it, was no longer the one verified. (Exact but for an import that committed within
-- the moments of a chunk being written; reports from this migration on are exact.)
UPDATE verification v SET applied = false
 WHERE v.data_version <> coalesce(
         (SELECT s.data_version FROM participant_state s
           WHERE s.ma_so_bhxh = v.ma_so_bhxh AND s.valid_from <= v.verified_at
           ORDER BY s.valid_from DESC, s.id DESC LIMIT 1),
         v.data_version);

-- The state rows that only recorded an outcome (or a data version) say nothing any more: keep a person's first
-- row and those where VssID or the office changed.
DELETE FROM participant_state s
 USING (SELECT id, lag(id) OVER w IS NOT NULL
                   AND (vssid, ma_tinh, ma_huyen) IS NOT DISTINCT FROM (lag(vssid) OVER w, lag(ma_tinh) OVER w, lag(ma_huyen) OVER w) AS same
          FROM participant_state
        WINDOW w AS (PARTITION BY ma_so_bhxh ORDER BY valid_from, id)) r
 WHERE r.id = s.id AND r.same;
ALTER TABLE participant_state DROP COLUMN status, DROP COLUMN data_version, DROP COLUMN verified_version;

CREATE OR REPLACE FUNCTION participant_state_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen)
  SELECT n.ma_so_bhxh, n.updated_at, n.vssid, n.ma_tinh, n.ma_huyen FROM inserted n;
  RETURN NULL;
END $$;

-- Row-level and only for the columns it records: the run's updates, which never set them, do not fire it at all
-- (a statement-level trigger with transition tables cannot name columns, and would copy every row the run
-- writes). An import fires it only for the people whose VssID or office did change.
DROP TRIGGER participant_state_update ON participant;
DROP FUNCTION participant_state_after_update();
CREATE FUNCTION participant_state_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen)
  VALUES (NEW.ma_so_bhxh, NEW.updated_at, NEW.vssid, NEW.ma_tinh, NEW.ma_huyen);
  RETURN NULL;
END $$;
CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen ON participant FOR EACH ROW
  WHEN ((OLD.vssid, OLD.ma_tinh, OLD.ma_huyen) IS DISTINCT FROM (NEW.vssid, NEW.ma_tinh, NEW.ma_huyen))
  EXECUTE FUNCTION participant_state_after_change();
