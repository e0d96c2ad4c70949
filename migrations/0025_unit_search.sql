-- The portal's unit search (/units?q=) finds a name whatever its tones, letter case and spacing: "chu van an",
-- "CHU VĂN AN" and "Chu  Văn  An" all find "Trường THCS Chu Văn An", and "truong" finds "Trường". Both sides
-- are folded by the same function: decomposed (NFD, so that typed NFC and NFD input compare alike), the combining
-- marks (tones, breve, circumflex, horn) removed, đ/Đ and their look-alikes ð/Ð → d, zero-width characters
-- dropped, every kind of space (no-break, em, ideographic…) and runs of them made one space, lower case. The
-- classes are written out rather than left to `\s`, whose reach depends on the database's LC_CTYPE (under "C" it
-- misses the no-break space Excel pastes); once NFD has taken the marks off, a Vietnamese name is ASCII letters,
-- which lower() folds under any locale. (The unaccent extension would do the letters, but it is STABLE, so it
-- cannot fill a stored column, and not every server has it.) normalize() needs a UTF8 database: ddcn creates its
-- schema only in one (src/db/migrate.ts), but a database an older ddcn made in another encoding gets a fold of
-- spaces and case only, rather than an import that fails on its first unit.
--
-- Folded once, when a unit's name is written: folding at search time cost 8 s for 400 000 units (translate() over
-- every name); reading the stored column, a search that matches nothing reads the whole table in ~90 ms (ILIKE on
-- the name took ~220 ms). A plain column and a trigger rather than a generated column, which rewrites the table
-- under an exclusive lock (7.3 s for 400 000 units, every page and import waiting): adding an empty column takes
-- that lock for an instant, and this migration's transaction ends there; the next one (0026) fills the column
-- with row locks only, which readers do not wait for.
DO $do$
BEGIN
  IF current_setting('server_encoding') = 'UTF8' THEN
    CREATE FUNCTION search_fold(t text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT lower(btrim(regexp_replace(
              regexp_replace(translate(normalize(t, NFD), 'đĐðÐ', 'dddd'), '[\u0300-\u036f\u200b-\u200d\u2060\ufeff]+', '', 'g'),
              '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g'))) $$;
  ELSE
    CREATE FUNCTION search_fold(t text) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT lower(btrim(regexp_replace(t, '[\t\n\v\f\r ]+', ' ', 'g'))) $$;
  END IF;
END
$do$;

ALTER TABLE unit ADD COLUMN ten_don_vi_fold text;

CREATE FUNCTION unit_fold_name() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN NEW.ten_don_vi_fold := search_fold(NEW.ten_don_vi); RETURN NEW; END $$;

CREATE TRIGGER unit_fold_name BEFORE INSERT OR UPDATE OF ten_don_vi ON unit
  FOR EACH ROW EXECUTE FUNCTION unit_fold_name();
