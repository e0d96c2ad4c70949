-- 0036 made the import mark a change to a person PENDING already (a registry failure the night after the unit's
-- correction) whose corrected field the export then replaced; before it, that change left no mark. On a database an
-- older ddcn imported into, such a person keeps no mark: verified on the source's new data and not matching, they are
-- put on the IT centre's escalation list and counted in Mẫu 03's (13) as if the unit's correction had failed, for good.
-- Those people get the mark now: someone whose latest correction (of a name, a date, a sex or a number) is no longer
-- what is on file — so an import replaced it, as neither the run nor another correction did — and who has no mark
-- of a change after it. The registry replaces a number it knows with the ĐDCN (number_history, or an outcome that
-- matched that number and gave the number on file): not a replacement.
-- The mark's version is the data version the next outcome is of: the current one for a person still PENDING, else
-- the one they were verified on since; its row is dated at the person's last change of data and carries the state
-- the person had then (the state history otherwise unchanged). Reads the corrections once; the rows are few. The
-- corrections figures cached under the marks missing are emptied (as 0035, 0037), only if a mark was added.
WITH latest AS (
  SELECT DISTINCT ON (c.ma_so_bhxh) c.ma_so_bhxh, c.data_version
    FROM participant_correction c
   ORDER BY c.ma_so_bhxh, c.data_version DESC
), replaced AS (
  SELECT p.ma_so_bhxh, p.updated_at,
         CASE WHEN p.status = 'PENDING' THEN p.data_version ELSE p.verified_version END AS version
    FROM latest l
    JOIN participant p ON p.ma_so_bhxh = l.ma_so_bhxh
   WHERE p.verified_version IS NOT NULL
     AND (p.status = 'PENDING' AND p.data_version > l.data_version OR p.verified_version > l.data_version)
     AND EXISTS (
       SELECT 1 FROM participant_correction c
        WHERE c.ma_so_bhxh = l.ma_so_bhxh AND c.data_version = l.data_version
          AND CASE c.field
                WHEN 'name' THEN name_key(p.ho_ten) IS DISTINCT FROM name_key(c.new_value)
                WHEN 'dob' THEN p.ngay_sinh IS DISTINCT FROM c.new_value
                WHEN 'sex' THEN p.gioi_tinh IS DISTINCT FROM c.new_value
                ELSE p.so_giay_to IS DISTINCT FROM c.new_value
                     AND NOT EXISTS (SELECT 1 FROM number_history h
                                      WHERE h.ma_so_bhxh = p.ma_so_bhxh AND h.so_cu = c.new_value AND h.source = 'registry')
                     -- Nor where the history kept no row of it: the number an earlier correction had replaced (its row
                     -- of that number stays, and the registry's gives way), matched by the registry, which put the
                     -- ĐDCN on file in its place.
                     AND NOT EXISTS (SELECT 1 FROM verification x
                                      WHERE x.ma_so_bhxh = p.ma_so_bhxh AND x.status = 'MATCHED' AND x.applied
                                        AND x.so_giay_to = c.new_value AND x.so_ddcn = p.so_giay_to)
              END)
     AND NOT EXISTS (SELECT 1 FROM participant_state s
                      WHERE s.ma_so_bhxh = l.ma_so_bhxh AND s.changed_version > l.data_version)
), marked AS (
  INSERT INTO participant_state (ma_so_bhxh, valid_from, vssid, ma_tinh, ma_huyen, changed_version, left_unit)
  SELECT r.ma_so_bhxh, r.updated_at, s.vssid, s.ma_tinh, s.ma_huyen, r.version, NULL
    FROM replaced r
    CROSS JOIN LATERAL (SELECT st.vssid, st.ma_tinh, st.ma_huyen FROM participant_state st
                         WHERE st.ma_so_bhxh = r.ma_so_bhxh AND st.valid_from <= r.updated_at
                         ORDER BY st.valid_from DESC, st.id DESC LIMIT 1) s
  RETURNING 1
)
DELETE FROM figures_cache WHERE narrow LIKE 'corrections:%' AND EXISTS (SELECT 1 FROM marked);
