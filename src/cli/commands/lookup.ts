import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { withContext } from '../context.js';
import { requireParticipants } from '../checks.js';
import { lookupNumber } from '../../db/results.js';
import { normalizeNumber, numberText } from '../../domain/numbers.js';
import { isCccdProvinceCode } from '../../domain/provinces.js';
import { textTable } from '../table.js';
import { stdinText } from '../stdin.js';

export function registerLookup(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('lookup')
    .description('participants whose current or former number (CMND, ĐDCN/CCCD) is NUMBER')
    .argument('[number]', 'the number, as typed (spaces and dots are ignored); better --number-stdin, as arguments show in ps')
    .option('--json', 'print a JSON array')
    .option('--number-stdin', "read the number from stdin's one line instead: an argument shows in ps and the shell's history")
    .action(async (given: string | undefined, o: { json?: boolean; numberStdin?: boolean }) => {
      if (given !== undefined && o.numberStdin) throw new UsageError('give the number either as an argument or on stdin (--number-stdin), not both');
      if (given === undefined && !o.numberStdin) throw new UsageError('give the number on stdin with --number-stdin (or as an argument, which other users see in ps)');
      const raw = given ?? (await readNumberStdin());
      const digits = numberText(raw); // as normalizeNumber reads it
      // 10 digits: a ĐDCN of province 001–008 whose two leading zeros a spreadsheet dropped, as the import reads it
      // when it fits the person (here there is no person to fit: looked up as such when its province exists).
      const lostTwoZeros = /^\d{10}$/.test(digits) && isCccdProvinceCode(`00${digits[0]}`);
      const n = normalizeNumber(raw) ?? (lostTwoZeros ? { value: `00${digits}` } : null);
      // Not echoed: a mistyped ID number is still one (personal data stays out of messages).
      if (!n) {
        // A social-insurance code is the usual slip: said as such, without repeating it.
        const code = /^\d{10}$/.test(digits) ? '; 10 digits is a mã số BHXH, and lookup takes an ID number (the portal and `ddcn export results` show people by code)' : '';
        // A letter O for a zero, full-width digits from an Asian keyboard layout: said, rather than a count of
        // characters that looks right (where they are is not said: that would give the number away).
        const others = [...digits].filter((c) => !/[0-9]/.test(c)).length;
        const what = others ? `; it holds ${others} character${others > 1 ? 's' : ''} other than the digits 0–9 (a letter O typed for a zero, full-width digits, a dash?)` : '';
        throw new UsageError(`the number given (${[...raw].length} characters) is not a CMND (9 digits) or an ĐDCN/CCCD (12 digits)${code}${what}`);
      }
      // On a database without participants (the wrong DDCN_HOME or DATABASE_URL), said so rather than "no one".
      const rows = await withContext(logLevel(), async (deps, { database }) => {
        await requireParticipants(database);
        return lookupNumber(deps.db, n.value);
      });
      // Said whatever was found: 10 digits may also be a mã số BHXH someone meant.
      if (lostTwoZeros && rows.length > 0) process.stderr.write('10 digits read as a ĐDCN that lost its two leading zeros (a mã số BHXH is not looked up here)\n');
      if (o.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      if (rows.length === 0) {
        const read = lostTwoZeros ? ' (10 digits, read as a ĐDCN that lost its two leading zeros; a mã số BHXH is not looked up here)' : '';
        process.stderr.write(`no participant has or had that number${read}\n`);
        return;
      }
      if (process.stdout.isTTY) {
        // A person reading: a table with the headings of the forms; a number not known is left blank.
        const cells = rows.map((r) => [r.ma_so_bhxh, r.ho_ten, r.so_ddcn ?? '', r.former_numbers.join(', ')]);
        process.stdout.write(textTable(['Mã số BHXH', 'Họ tên', 'Số ĐDCN', 'Số cũ'], cells));
        return;
      }
      // A script reading (a pipe or a file): tab-separated, no header, `-` for none, as it always was.
      for (const r of rows) {
        process.stdout.write(`${r.ma_so_bhxh}\t${r.ho_ten}\t${r.so_ddcn ?? '-'}\t${r.former_numbers.join(',') || '-'}\n`);
      }
    });

}

/**
 * The number from stdin (`--number-stdin`): an ID number given as an argument is in every other user's `ps` while the
 * command runs and in the shell's history after it, where personal data must not be.
 */
async function readNumberStdin(): Promise<string> {
  const lines = (await stdinText()).split(/\r?\n/);
  if (lines.length !== 1) throw new UsageError('--number-stdin reads one line: the number');
  return lines[0]!;
}
