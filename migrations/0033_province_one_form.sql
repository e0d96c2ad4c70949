-- A province's code comes in several forms: 79 and 079, or 1, 01 and 001 (a spreadsheet's number cell loses the
-- zeros; some offices write the 2-digit administrative code, others the CCCD's 3 digits). Data written both ways in
-- one database made two provinces of one: two lines on Mẫu 03, two folders of lists, a province account seeing the
-- people of one form. From now on each province has one form, the first on file: province_form holds it per
-- province (its code in 3 digits), and every import stores a numeric code of 1–3 digits in the form held there
-- (src/db/province-forms.ts). Codes that are not such a number are kept as they are.
CREATE TABLE province_form (
  province_key text COLLATE "C" PRIMARY KEY CHECK (province_key ~ '^[0-9]{3}$'),
  ma_tinh      text COLLATE "C" NOT NULL,
  CHECK (ma_tinh ~ '^[0-9]{1,3}$' AND lpad(ma_tinh, 3, '0') = province_key)
);

-- The forms already on file. Per province, the form most participants have wins (a tie: the 3-digit form), and is
-- written wherever a province code is stored: participants, their state history, units, portal accounts, batches.
-- (VssID targets are read in the 3-digit form whatever they were stored in: src/db/targets.ts.)
--
-- Cheap on a database whose provinces are each written one way, nearly all of them: the forms are read from the
-- state history's index (one probe per form, as knownCodes in src/db/codes.ts: every participant's province has
-- a state row) and from the small tables, and nothing is counted or written. Only the forms of provinces written
-- several ways are counted over participant, in one scan; then only the rows holding a form that loses are
-- rewritten, without the history rows the participant_state_change trigger would write for them.
DO $$
DECLARE
  mixed text[];
BEGIN
  CREATE TEMP TABLE form_seen ON COMMIT DROP AS
  WITH RECURSIVE seen AS (
    (SELECT ma_tinh FROM participant_state WHERE ma_tinh IS NOT NULL ORDER BY ma_tinh LIMIT 1)
    UNION ALL
    SELECT (SELECT s.ma_tinh FROM participant_state s WHERE s.ma_tinh > seen.ma_tinh ORDER BY s.ma_tinh LIMIT 1)
      FROM seen WHERE seen.ma_tinh IS NOT NULL)
  SELECT DISTINCT f.ma_tinh, lpad(f.ma_tinh, 3, '0') AS province_key
    FROM (SELECT ma_tinh FROM seen UNION SELECT ma_tinh FROM unit UNION SELECT ma_tinh FROM portal_user
          UNION SELECT province FROM batch) f
   WHERE f.ma_tinh ~ '^[0-9]{1,3}$';

  SELECT array_agg(ma_tinh) INTO mixed FROM form_seen
   WHERE province_key IN (SELECT province_key FROM form_seen GROUP BY province_key HAVING count(*) > 1);
  CREATE TEMP TABLE form_people (ma_tinh text COLLATE "C", n bigint) ON COMMIT DROP;
  IF mixed IS NOT NULL THEN
    INSERT INTO form_people SELECT ma_tinh, count(*) FROM participant WHERE ma_tinh = ANY (mixed) GROUP BY ma_tinh;
  END IF;

  INSERT INTO province_form (province_key, ma_tinh)
  SELECT DISTINCT ON (f.province_key) f.province_key, f.ma_tinh
    FROM form_seen f LEFT JOIN form_people c ON c.ma_tinh = f.ma_tinh
   ORDER BY f.province_key, coalesce(c.n, 0) DESC, length(f.ma_tinh) DESC, f.ma_tinh;

  CREATE TEMP TABLE form_losing ON COMMIT DROP AS
  SELECT f.ma_tinh AS form, p.ma_tinh AS kept FROM form_seen f JOIN province_form p USING (province_key) WHERE f.ma_tinh <> p.ma_tinh;
  IF NOT EXISTS (SELECT 1 FROM form_losing) THEN
    RETURN;
  END IF;

  -- The people concerned: every one who is, or was, in a losing form has a state row with it (index participant_state_office).
  CREATE TEMP TABLE form_person ON COMMIT DROP AS
  SELECT DISTINCT ma_so_bhxh FROM participant_state WHERE ma_tinh IN (SELECT form FROM form_losing);
  -- Their sizes for the planner (a temporary table has no statistics): a few people are looked up by index.
  ANALYZE form_losing;
  ANALYZE form_person;

  -- A state row written for a change of form alone (79, then 079 in a later file) says, once the forms are one,
  -- that nothing changed: it goes. One that also recorded another change (district, VssID, unit, data) stays.
  DELETE FROM participant_state d USING (
    SELECT id FROM (
      SELECT s.id, s.vssid, s.ma_huyen, s.changed_version, s.left_unit, s.ma_tinh AS form,
             coalesce(l.kept, s.ma_tinh) AS ma_tinh,
             lag(s.ma_tinh) OVER w AS prev_form, lag(coalesce(l.kept, s.ma_tinh)) OVER w AS prev_ma_tinh,
             lag(s.vssid) OVER w AS prev_vssid, lag(s.ma_huyen) OVER w AS prev_ma_huyen, row_number() OVER w AS nth
        FROM participant_state s LEFT JOIN form_losing l ON l.form = s.ma_tinh
       WHERE s.ma_so_bhxh IN (SELECT ma_so_bhxh FROM form_person)
      WINDOW w AS (PARTITION BY s.ma_so_bhxh ORDER BY s.valid_from, s.id)) x
     WHERE nth > 1 AND form IS DISTINCT FROM prev_form AND ma_tinh IS NOT DISTINCT FROM prev_ma_tinh
       AND vssid = prev_vssid AND ma_huyen IS NOT DISTINCT FROM prev_ma_huyen AND changed_version IS NULL AND left_unit IS NULL) r
   WHERE d.id = r.id;

  UPDATE participant_state s SET ma_tinh = l.kept FROM form_losing l WHERE s.ma_tinh = l.form;

  -- The form is not a change of state: the trigger would write a history row for each person rewritten.
  ALTER TABLE participant DISABLE TRIGGER participant_state_change;
  UPDATE participant p SET ma_tinh = l.kept FROM form_losing l
   WHERE p.ma_tinh = l.form AND p.ma_so_bhxh IN (SELECT ma_so_bhxh FROM form_person);
  ALTER TABLE participant ENABLE TRIGGER participant_state_change;

  UPDATE unit u SET ma_tinh = l.kept FROM form_losing l WHERE u.ma_tinh = l.form;
  UPDATE portal_user u SET ma_tinh = l.kept FROM form_losing l WHERE u.ma_tinh = l.form;
  UPDATE batch b SET province = l.kept FROM form_losing l WHERE b.province = l.form;
  -- Figures kept per province under a form that is gone: worked out again on the dashboards' next visit.
  DELETE FROM figures_cache;
END $$;
