-- The portal's unit search (/units?q=) finds a name whatever its tones, letter case and spacing: "chu van an",
-- "CHU VĂN AN" and "Chu  Văn  An" all find "Trường THCS Chu Văn An", and "truong" finds "Trường". Both sides
-- are folded by the same function: decomposed (NFD, so that typed NFC and NFD input compare alike), the combining
-- marks (tones, breve, circumflex, horn) removed, đ/Đ → d, runs of white space made one space, lower case.
-- (The unaccent extension would do the letters, but it is STABLE, so it cannot make a stored column, and not every
-- server has it.)
--
-- Folded once, when a unit's name is written (a generated column): folding at search time cost 8 s for 400 000
-- units (translate() over every name); reading the stored column, a search that matches nothing reads the whole
-- table in ~90 ms (ILIKE on the name took ~220 ms). Adding the column folds every unit once (3.7 s for 400 000;
-- the unit table is locked meanwhile); later, only a unit whose name an import changes is folded again.
CREATE FUNCTION search_fold(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(btrim(regexp_replace(regexp_replace(translate(normalize(t, NFD), 'đĐ', 'dd'), '[\u0300-\u036f]+', '', 'g'), '\s+', ' ', 'g'))) $$;

ALTER TABLE unit ADD COLUMN ten_don_vi_fold text GENERATED ALWAYS AS (search_fold(ten_don_vi)) STORED;
