import type { Db } from '../../src/db/pool.js';

/**
 * The benchmark's yardstick: the same verification done inside PostgreSQL as one UPDATE … FROM join of the
 * participants with the registry (number looked up as ĐDCN, else as old CMND; name compared after lower-casing,
 * trimming and folding the old tone placement of the common cases; date at our precision; sex), writing the
 * ĐDCN in place of the number. It stores no history, detects no conflicts and shares nothing: it is the floor.
 */
export async function sqlBaseline(db: Db): Promise<number> {
  const key = (col: string) =>
    `replace(replace(replace(replace(replace(replace(lower(regexp_replace(btrim(normalize(${col}, NFC)), '\\s+', ' ', 'g')),
       'òa', 'oà'), 'óa', 'oá'), 'ỏa', 'oả'), 'õa', 'oã'), 'ọa', 'oạ'), 'ủy', 'uỷ')`;
  const res = await db.query(
    `UPDATE bench_baseline b SET so_giay_to = r.so_ddcn, so_ddcn = r.so_ddcn, status = 'MATCHED'
       FROM (SELECT so_ddcn AS num, so_ddcn, ho_ten, ngay_sinh, gioi_tinh FROM mock_registry.person
             UNION ALL
             SELECT so_cmnd, so_ddcn, ho_ten, ngay_sinh, gioi_tinh FROM mock_registry.person WHERE so_cmnd IS NOT NULL) r
      WHERE r.num = b.so_giay_to
        AND ${key('b.ho_ten')} = ${key('r.ho_ten')}
        AND b.ngay_sinh = left(r.ngay_sinh, length(b.ngay_sinh))
        AND b.gioi_tinh = r.gioi_tinh`,
  );
  return res.rowCount ?? 0;
}
