-- A district code of 1 or 2 digits is a 3-digit code that lost its leading zeros in a spreadsheet's number cell
-- (5 for Cầu Giấy, 005): every district code has 3 digits. Imports store such a code in 3 digits from now on
-- (src/pipeline/participant-row.ts); what earlier imports stored is put in 3 digits here, wherever a district is kept
-- (participants, their state history, units, portal accounts), so that one district is one code: its account, its
-- lists and Mẫu 03 see all its people, whichever way a file wrote it. (VssID targets are read in 3 digits whatever
-- they were stored in: src/db/targets.ts.)
--
-- Cheap on a database without such codes, nearly all of them: the districts on file are read from the state
-- history's index, one probe per province and district (every participant's district has a state row), and
-- nothing is written. Only the people with a short code are then looked up (by that index) and rewritten, without
-- the history rows the participant_state_change trigger would write for them.
DO $$
BEGIN
  CREATE TEMP TABLE district_short ON COMMIT DROP AS
  WITH RECURSIVE province AS (
    (SELECT ma_tinh FROM participant_state WHERE ma_tinh IS NOT NULL ORDER BY ma_tinh LIMIT 1)
    UNION ALL
    SELECT (SELECT s.ma_tinh FROM participant_state s WHERE s.ma_tinh > province.ma_tinh ORDER BY s.ma_tinh LIMIT 1)
      FROM province WHERE province.ma_tinh IS NOT NULL
  ), district AS (
    SELECT p.ma_tinh,
           (SELECT s.ma_huyen FROM participant_state s WHERE s.ma_tinh = p.ma_tinh AND s.ma_huyen IS NOT NULL ORDER BY s.ma_huyen LIMIT 1) AS ma_huyen
      FROM province p WHERE p.ma_tinh IS NOT NULL
    UNION ALL
    SELECT d.ma_tinh,
           (SELECT s.ma_huyen FROM participant_state s WHERE s.ma_tinh = d.ma_tinh AND s.ma_huyen > d.ma_huyen ORDER BY s.ma_huyen LIMIT 1)
      FROM district d WHERE d.ma_huyen IS NOT NULL
  )
  SELECT ma_tinh, ma_huyen FROM district WHERE ma_huyen ~ '^[0-9]{1,2}$';

  UPDATE unit SET ma_huyen = lpad(ma_huyen, 3, '0') WHERE ma_huyen ~ '^[0-9]{1,2}$';
  UPDATE portal_user SET ma_huyen = lpad(ma_huyen, 3, '0') WHERE ma_huyen ~ '^[0-9]{1,2}$';

  -- The people concerned: every one who is, or was, in a short code has a state row with it (index participant_state_office),
  -- those of no province too (a row without ma_tinh: the scan above passes them by).
  CREATE TEMP TABLE district_person ON COMMIT DROP AS
  SELECT s.ma_so_bhxh FROM participant_state s JOIN district_short d USING (ma_tinh, ma_huyen)
  UNION
  SELECT s.ma_so_bhxh FROM participant_state s WHERE s.ma_tinh IS NULL AND s.ma_huyen ~ '^[0-9]{1,2}$';
  IF NOT EXISTS (SELECT 1 FROM district_person) THEN
    RETURN;
  END IF;
  ANALYZE district_person;

  -- A state row written for a change of writing alone (5, then 005 in a later file) says, once the codes are one,
  -- that nothing changed: it goes. One that also recorded another change (province, VssID, unit, data) stays.
  DELETE FROM participant_state d USING (
    SELECT id FROM (
      SELECT s.id, s.vssid, s.ma_tinh, s.changed_version, s.left_unit, s.ma_huyen AS written,
             CASE WHEN s.ma_huyen ~ '^[0-9]{1,2}$' THEN lpad(s.ma_huyen, 3, '0') ELSE s.ma_huyen END AS ma_huyen,
             lag(s.ma_huyen) OVER w AS prev_written,
             lag(CASE WHEN s.ma_huyen ~ '^[0-9]{1,2}$' THEN lpad(s.ma_huyen, 3, '0') ELSE s.ma_huyen END) OVER w AS prev_ma_huyen,
             lag(s.vssid) OVER w AS prev_vssid, lag(s.ma_tinh) OVER w AS prev_ma_tinh, row_number() OVER w AS nth
        FROM participant_state s
       WHERE s.ma_so_bhxh IN (SELECT ma_so_bhxh FROM district_person)
      WINDOW w AS (PARTITION BY s.ma_so_bhxh ORDER BY s.valid_from, s.id)) x
     WHERE nth > 1 AND written IS DISTINCT FROM prev_written AND ma_huyen IS NOT DISTINCT FROM prev_ma_huyen
       AND vssid = prev_vssid AND ma_tinh IS NOT DISTINCT FROM prev_ma_tinh AND changed_version IS NULL AND left_unit IS NULL) r
   WHERE d.id = r.id;

  UPDATE participant_state SET ma_huyen = lpad(ma_huyen, 3, '0')
   WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM district_person) AND ma_huyen ~ '^[0-9]{1,2}$';

  -- The writing of a code is not a change of state: the trigger would write a history row for each person rewritten.
  ALTER TABLE participant DISABLE TRIGGER participant_state_change;
  UPDATE participant SET ma_huyen = lpad(ma_huyen, 3, '0')
   WHERE ma_so_bhxh IN (SELECT ma_so_bhxh FROM district_person) AND ma_huyen ~ '^[0-9]{1,2}$';
  ALTER TABLE participant ENABLE TRIGGER participant_state_change;

  -- Figures kept per district under a code that is gone: worked out again on the dashboards' next visit.
  DELETE FROM figures_cache;
END $$;
