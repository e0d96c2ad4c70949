// The forms as LibreOffice prints them: workbooks turned into PDFs by one `soffice` call, and each PDF's pages read
// back with pdftotext, to check what no reading of the workbook shows: where the pages end. Used by
// scripts/print-check.ts (many sizes) and by the printed-pages test (one form).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether LibreOffice and poppler's pdftotext are on the PATH. */
export async function canRender(): Promise<boolean> {
  try {
    await run('soffice', ['--version']);
    await run('pdftotext', ['-v']);
    return true;
  } catch {
    return false;
  }
}

/** Workbooks one soffice run converts: a run of several hundred stopped part-way, silently (LibreOffice 7.4). */
const PER_RUN = 50;

/**
 * Every workbook of `files` as a PDF in `outDir` (same name, `.pdf`), a few dozen to a LibreOffice run (starting
 * it costs seconds; each file then a fraction of one). A profile of its own, so that it never waits on another
 * soffice. Throws when a PDF is missing after the run.
 */
export async function renderPdfs(files: readonly string[], outDir: string): Promise<string[]> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'ddcn-soffice-'));
  const pdfs = files.map((f) => path.join(outDir, `${path.basename(f, path.extname(f))}.pdf`));
  try {
    for (let i = 0; i < files.length; i += PER_RUN) {
      const args = [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', 'pdf', '--outdir', outDir];
      await run('soffice', [...args, ...files.slice(i, i + PER_RUN)], { timeout: 300_000, maxBuffer: 16 << 20 });
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
  const missing = pdfs.filter((p) => !existsSync(p));
  if (missing.length) throw new Error(`soffice printed no ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}`);
  return pdfs;
}

export interface Word {
  text: string;
  x: number;
  top: number;
  bottom: number;
}

/** The words of each page of `pdf`, with where they stand (points from the top left). */
export async function pdfPages(pdf: string): Promise<Word[][]> {
  const { stdout } = await run('pdftotext', ['-bbox', pdf, '-'], { maxBuffer: 64 << 20 });
  return stdout.split('<page ').slice(1).map((page) =>
    [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
      text: unescapeXml(m[4]!),
      x: Number(m[1]),
      top: Number(m[2]),
      bottom: Number(m[3]),
    })),
  );
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The first place where `phrase`'s words follow one another on the page, or undefined. */
function find(words: readonly Word[], phrase: string): Word | undefined {
  const parts = phrase.split(' ');
  for (let i = 0; i + parts.length <= words.length; i++) {
    if (parts.every((p, k) => words[i + k]!.text === p)) return words[i];
  }
  return undefined;
}

/** Printed room to sign between the signers' hints and the footer, at the least (page-fit.ts keeps 30 points of the sheet, scaled). */
const ROOM_TO_SIGN = 24;

export interface PrintedForm {
  pages: number;
  /** The page (from 1) the signatures are on, or null. */
  signaturePage: number | null;
  /** What is wrong with how the signature block prints; empty when nothing is. */
  problems: string[];
}

/**
 * Where the notes and signatures print: all on one page, the last, with at least one row of the table above them
 * (a line of text between the numbered row `(1) (2) …` repeated at the page's top and `Ghi chú:`), the date line
 * above the titles, both hints under them, and room to sign before the footer.
 */
export function signatureBlock(pages: readonly Word[][]): PrintedForm {
  const problems: string[] = [];
  const withTitle = pages.flatMap((words, i) => (find(words, 'NGƯỜI LẬP BIỂU') ? [i] : []));
  if (withTitle.length !== 1) {
    problems.push(`"NGƯỜI LẬP BIỂU" on ${withTitle.length} pages`);
    return { pages: pages.length, signaturePage: null, problems };
  }
  const index = withTitle[0]!;
  const words = pages[index]!;
  const at = `page ${index + 1} of ${pages.length}`;
  if (index !== pages.length - 1) problems.push(`signatures on ${at}, not the last`);
  const title = find(words, 'NGƯỜI LẬP BIỂU')!;
  const notes = find(words, 'Ghi chú:');
  const numbered = find(words, '(1)');
  if (!notes) problems.push(`"Ghi chú:" not on the signatures' ${at}`);
  if (!numbered) problems.push(`no table head on the signatures' ${at}`);
  const dateIndex = words.findIndex((w, i) => w.text === 'ngày' && words.slice(i, i + 8).some((v) => v.text === 'tháng'));
  const dateLine = dateIndex < 0 ? undefined : words[dateIndex]!;
  if (!dateLine || dateLine.top > title.top) problems.push(`no date line above the signatures on ${at}`);
  // The table ends where what is under it begins: the notes, else the date line, else the titles.
  const end = [notes, dateLine, title].find((w) => w !== undefined && (!numbered || w.top > numbered.bottom))!;
  if (numbered && !words.some((w) => w.top > numbered.bottom && w.bottom < end.top)) problems.push(`no row of the table on the signatures' ${at}`);
  const hints = words.filter((w) => w.text === '(Ký,' && w.top > title.top);
  if (hints.length !== 2) problems.push(`${hints.length} of the 2 "(Ký, …)" hints under the titles on ${at}`);
  const footer = words.find((w) => w.text === 'Trang' && w.top > title.top);
  const lowest = Math.max(title.bottom, ...hints.map((w) => w.bottom));
  if (footer && footer.top - lowest < ROOM_TO_SIGN) problems.push(`${(footer.top - lowest).toFixed(0)} pt to sign on ${at}`);
  return { pages: pages.length, signaturePage: index + 1, problems };
}
