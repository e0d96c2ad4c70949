// The forms as LibreOffice prints them to PDF, read back page by page with pdftotext: the notes and signatures on
// the last page, whole, with rows of the table above them and room to sign, for tables that end near the bottom of
// a page (each of these printed its signatures alone, or split, before the page break of page-fit.ts). Every file
// in one soffice run (a few seconds). Needs soffice and pdftotext (.ci/run installs them); without them the test
// says so and is skipped.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { canRender, pdfPages, renderPdfs, signatureBlock, type Word } from '../../scripts/lib/printed-pages.js';
import { writeSampleList, writeSampleMau03, type Mau03Scope, type Sample } from '../../scripts/lib/print-samples.js';
import type { FormKind } from '../../src/reports/list-row.js';

const dir = tempDirPerFile('ddcn-printed-');
const available = await canRender();

// Sizes whose table ended near a page's bottom, with LibreOffice measuring Calibri as Carlito (as offices print)
// or as its fallback DejaVu Sans (a machine without Carlito): both are here.
const LISTS: Array<[FormKind, Sample, number]> = [
  ['mau01', 'short', 5], ['mau01', 'short', 13], ['mau02', 'short', 9], ['mau02', 'long', 12], ['ho-tro', 'long', 10],
];
const MAU03: Array<[Mau03Scope, number]> = [['national', 7], ['province', 4], ['unit', 1], ['district', 1]];
/** Reports of one row, which printed their title and head alone on a first page: now on one page, a little smaller. */
const ONE_PAGE = ['mau03-unit-1', 'mau03-district-1'];

describe('the forms as LibreOffice prints them', () => {
  if (!available) {
    it.skip('skipped: soffice (LibreOffice) or pdftotext (poppler-utils) is not on the PATH', () => {});
    return;
  }

  let printed: Map<string, Word[][]>;
  const pagesOf = async () => {
    if (printed) return printed;
    const files: string[] = [];
    for (const [form, sample, rows] of LISTS) {
      files.push(path.join(dir, `${form}-${sample}-${rows}.xlsx`));
      await writeSampleList(files.at(-1)!, form, rows, sample);
    }
    for (const [scope, rows] of MAU03) {
      files.push(path.join(dir, `mau03-${scope}-${rows}.xlsx`));
      await writeSampleMau03(files.at(-1)!, scope, rows, 'long');
    }
    const pdfs = await renderPdfs(files, dir);
    printed = new Map();
    for (const [i, pdf] of pdfs.entries()) printed.set(path.basename(files[i]!, '.xlsx'), await pdfPages(pdf));
    return printed;
  };

  it('keeps the notes and signatures together on the last page, under rows of the table, with room to sign', async () => {
    const problems = [...(await pagesOf())].flatMap(([name, pages]) => signatureBlock(pages).problems.map((p) => `${name}: ${p}`));
    expect(problems).toEqual([]);
  }, 120_000);

  it('prints a Mẫu 03 of one row on one page', async () => {
    const printed = await pagesOf();
    expect(ONE_PAGE.map((name) => [name, printed.get(name)!.length])).toEqual(ONE_PAGE.map((name) => [name, 1]));
  }, 120_000);
});
