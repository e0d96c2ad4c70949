-- Room on every page for a new version of each of its rows. The first run after an import rewrites every row
-- it verifies (status, and for a match the number), and with 20 % free most new versions had to go to another
-- page: two pages dirtied and logged per person instead of one. Half-full pages keep them in place. The table
-- is larger on disk (about 1.6×) until its first run, after which it would have grown as much anyway.
-- Pages already written keep their layout; new ones (imports from now on) are laid out this way.
ALTER TABLE participant SET (fillfactor = 50);
