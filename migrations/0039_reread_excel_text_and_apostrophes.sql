-- Two more ways of reading a line that an older ddcn did not have, left on upgraded databases as 0038 found for dates:
-- an unchanged line of the export is not read again (its hash is the same), so what an older ddcn made of it stays for
-- as long as the person's line does not change.
--  * A CSV field written ="…" (="012345678", ="001", as exports made for Excel keep leading zeros) is the text inside
--    since ddcn 7 December (53a3432). Before, it was taken as written: a number in that form was unreadable (the
--    person MISSING_ID, on Mẫu 02 asking for a number the file gives), a name, a unit, a province or a district code
--    was stored with the =" and " around it (a province ="001" of its own on Mẫu 03, a unit ="DV…" on the lists).
--  * A name with a typographic apostrophe (H’Hen Niê, from Word's or LibreOffice's autocorrect) is stored with ' as
--    the registry writes it since ddcn 6 December (02c3a3d). Stored with ’ before, the person stayed MISMATCHED and
--    escalated, column 9 showing two names that look the same.
-- Those rows forget their line's hash: the next import reads those lines again, stores what this ddcn reads (a row
-- whose data comes out the same only takes the hash back) and queues the people whose compared data changed for
-- verification. One scan of participant; the rows are few (only those holding such a text).
UPDATE participant p SET src_hash = NULL
 WHERE p.src_hash IS NOT NULL
   AND (strpos(p.ho_ten, '’') + strpos(p.ho_ten, '‘') + strpos(p.ho_ten, 'ʼ') > 0
        -- (strpos first, the expressions only where it finds one: 1.1 s for 1 M rows here, against 1.7 s.)
        OR strpos(concat(p.ho_ten, p.ma_don_vi, p.ma_tinh, p.ma_huyen, p.email), '="') > 0
           AND (p.ho_ten ~ '^\s*="[^"]*"\s*$' OR p.ma_don_vi ~ '^\s*="[^"]*"\s*$' OR p.ma_tinh ~ '^\s*="[^"]*"\s*$'
                OR p.ma_huyen ~ '^\s*="[^"]*"\s*$' OR p.email ~ '^\s*="[^"]*"\s*$')
        -- A value the older ddcn could not read at all (a number, a date, a sex code, vssid) is in a finding.
        OR p.findings <> '[]'::jsonb AND strpos(p.findings::text, '=\"') > 0
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.findings) f WHERE f->>'value' ~ '^\s*="[^"]*"\s*$')
        -- The unit's name or address in that form, which its people's lines give (only a new or changed line).
        OR p.ma_don_vi IN (SELECT u.ma_don_vi FROM unit u
                            WHERE u.ten_don_vi ~ '^\s*="[^"]*"\s*$' OR u.dia_chi ~ '^\s*="[^"]*"\s*$'));
