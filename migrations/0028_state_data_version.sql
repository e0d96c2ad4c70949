-- When an import changes what the registry verified of a participant (name, date of birth, sex, number) after an
-- outcome, the import sets them PENDING (db/participants.ts): the outcome was about other data. participant_state
-- records that moment with the data version it made (changed_version), so that Mẫu 03 as of any day counts them as
-- not verified from then until an outcome of that version or a later one. Only that change writes a state row for
-- it: a correction of Mẫu 02 changes the version too, but keeps its person on Mẫu 02 (and the figures cached for
-- the portal are not recounted for it).
ALTER TABLE participant_state ADD COLUMN changed_version integer;
CREATE INDEX participant_state_changed ON participant_state (ma_so_bhxh) INCLUDE (changed_version, valid_from)
  WHERE changed_version IS NOT NULL;

CREATE OR REPLACE FUNCTION participant_state_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, changed_version)
  VALUES (NEW.ma_so_bhxh, NEW.updated_at, NEW.vssid, NEW.ma_tinh, NEW.ma_huyen,
          CASE WHEN NEW.status = 'PENDING' AND OLD.status <> 'PENDING' AND NEW.data_version <> OLD.data_version
               THEN NEW.data_version END);
  RETURN NULL;
END $$;

DROP TRIGGER participant_state_change ON participant;
CREATE TRIGGER participant_state_change AFTER UPDATE OF vssid, ma_tinh, ma_huyen, status ON participant FOR EACH ROW
  WHEN (old.vssid IS DISTINCT FROM new.vssid OR old.ma_tinh IS DISTINCT FROM new.ma_tinh OR old.ma_huyen IS DISTINCT FROM new.ma_huyen
        OR (new.status = 'PENDING' AND old.status <> 'PENDING' AND new.data_version <> old.data_version))
  EXECUTE FUNCTION participant_state_after_change();

-- A name's comparison key, as src/domain/names.ts nameKey makes it for the common cases: case, stray spaces, the
-- Unicode form and where the tone mark sits make no change of the name (`HOÀ` = `hòa`). Used to decide whether an
-- import changed what the registry verified, only for a name whose case- and space-folded text differs (the import
-- tries that cheaper fold first: a whole export written in capitals costs it nothing more). normalize() needs a
-- UTF8 database: one an older ddcn made in another encoding gets the fold of case and spaces only (as 0025 does).
DO $do$
BEGIN
  IF current_setting('server_encoding') = 'UTF8' THEN
    CREATE FUNCTION name_key(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
      SELECT string_agg(regexp_replace(w, '[\u0300\u0301\u0303\u0309\u0323]', '', 'g')
                        || coalesce((SELECT string_agg(m[1], '') FROM regexp_matches(w, '([\u0300\u0301\u0303\u0309\u0323])', 'g') AS m), ''),
                        ' ' ORDER BY n)
        FROM regexp_split_to_table(lower(normalize(btrim(regexp_replace(t, '\s+', ' ', 'g')), NFD)), ' ') WITH ORDINALITY AS x(w, n) $$;
  ELSE
    CREATE FUNCTION name_key(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT lower(btrim(regexp_replace(t, '\s+', ' ', 'g'))) $$;
  END IF;
END
$do$;

-- People an older ddcn left as they were when an import changed their data after an outcome (it kept the outcome
-- until the next run): PENDING now, as the import makes them from here on, with the state row that marks it
-- (dated when their row last changed). Not those whose changes since are all corrections of Mẫu 02: they stay on
-- it. One pass over participant, row locks only.
WITH moved AS (
  UPDATE participant p SET status = 'PENDING', status_fields = '{}'
   WHERE p.status <> 'PENDING' AND p.verified_version IS NOT NULL AND p.data_version > p.verified_version
     AND p.data_version - p.verified_version > (SELECT count(DISTINCT c.data_version) FROM participant_correction c
                                                 WHERE c.ma_so_bhxh = p.ma_so_bhxh AND c.data_version > p.verified_version)
  RETURNING p.ma_so_bhxh, p.updated_at, p.vssid, p.ma_tinh, p.ma_huyen, p.data_version
)
INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, changed_version)
SELECT ma_so_bhxh, updated_at, vssid, ma_tinh, ma_huyen, data_version FROM moved;
