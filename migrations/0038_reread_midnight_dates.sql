-- Dates of birth written with the time of midnight ('05/03/1990 00:00:00', '1990-03-05T00:00', as a date-and-time
-- column is exported) are read as the date since ddcn 7 December; before, they were unreadable: the date was left
-- out, with a finding holding the text. An unchanged line of the export is not read again (its hash is the same), so
-- on a database imported before, those dates stayed out for as long as the person's line did not change. Their rows
-- forget the hash: the next import reads those lines again, stores the date and queues the people for verification
-- with it. One scan of participant; the rows are few (only those with such a finding).
UPDATE participant SET src_hash = NULL
 WHERE findings @> '[{"field": "dob", "code": "invalid"}]'::jsonb
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(findings) f
                WHERE f->>'field' = 'dob' AND f->>'code' = 'invalid'
                  AND f->>'value' ~ '^\S+[ T]0?0:00(:00(\.0{1,3})?)?$');
