// The zip container of an .xlsx, written by hand on node's zlib (deflateRawSync, crc32) rather than by a library.
// The list files need three things together, and the libraries at hand give two at most:
//  - every entry's CRC and sizes in its local header, never in a data descriptor after the data: exceljs's
//    streaming reader misreads data-descriptor entries now and then (that is all archiver and fflate's streaming
//    `Zip` write; fflate's `zipSync` writes the sizes, but only from the whole uncompressed part in memory);
//  - a large sheet compressed piece by piece as its rows come, so a unit with 100 000 people holds compressed
//    bytes, not the XML;
//  - the parts every file shares (styles, relationships) compressed once per thread and copied into each file.
// Only what an .xlsx needs is supported: deflated entries, below 4 GiB (no zip64), ASCII names.
import { crc32, deflateRawSync, constants } from 'node:zlib';

// Level 1: a list file comes out ~14% larger than at level 6 (≈5.5 KB instead of 4.9 KB for 45 people), and
// compresses three times faster, which over ~40 000 files a run is seconds of CPU.
const LEVEL = 1;
// A part written in pieces: every piece but the last ends in a sync flush (an empty stored block, byte-aligned)
// instead of a final block, so pieces compressed independently concatenate into one valid deflate stream.
const LIMIT = 0xffff_ffff;

/** A part compressed once, copied as it is into any number of archives. */
export interface CompressedEntry {
  name: string;
  crc: number;
  size: number; // uncompressed
  data: Buffer[]; // raw deflate
  compressedSize: number;
}

export function compressEntry(name: string, content: string | Buffer): CompressedEntry {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: every part is ASCII text (xml.ts writes all else as references): its characters are its bytes either way
  const raw = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const data = deflateRawSync(raw, { level: LEVEL });
  return { name, crc: crc32(raw), size: raw.length, data: [data], compressedSize: data.length };
}

/** One part compressed as it is written, for parts too large to hold uncompressed. */
export class DeflatingEntry {
  private crc = 0;
  private size = 0;
  private compressedSize = 0;
  private readonly data: Buffer[] = [];

  constructor(readonly name: string) {}

  /** Compresses a piece now; more follow. */
  write(text: string): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an empty piece adds an empty deflate block: the same content
    if (text.length > 0) this.piece(text, constants.Z_SYNC_FLUSH);
  }

  /** Compresses the last piece (a small part's only one) and closes the stream. */
  finish(text: string): CompressedEntry {
    this.piece(text, constants.Z_FINISH);
    return { name: this.name, crc: this.crc, size: this.size, data: this.data, compressedSize: this.compressedSize };
  }

  private piece(text: string, flush: number): void {
    // Stryker disable next-line StringLiteral: an empty encoding is Buffer.from's default, UTF-8
    const raw = Buffer.from(text, 'utf8');
    const piece = deflateRawSync(raw, { level: LEVEL, finishFlush: flush });
    this.crc = crc32(raw, this.crc);
    this.size += raw.length;
    this.compressedSize += piece.length;
    this.data.push(piece);
  }
}

/** DOS date and time, which is what a zip stores; files show the moment they were issued. */
function dosTime(t: Date): { date: number; time: number } {
  const y = Math.min(Math.max(t.getUTCFullYear(), 1980), 2107);
  return {
    date: ((y - 1980) << 9) | ((t.getUTCMonth() + 1) << 5) | t.getUTCDate(),
    time: (t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | (t.getUTCSeconds() >> 1),
  };
}

/** The whole archive, entries in the order given (readers that stream go by that order). */
export function zipArchive(entries: readonly CompressedEntry[], modified: Date): Buffer {
  const { date, time } = dosTime(modified);
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    if (e.size > LIMIT || e.compressedSize > LIMIT || offset > LIMIT) throw new Error(`${e.name} is too large for a zip without zip64`);
    // Stryker disable next-line StringLiteral: the part names are ASCII (xl/worksheets/sheet1.xml ...): the same bytes
    const name = Buffer.from(e.name, 'ascii');
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: deflate
    local.writeUInt16LE(0, 6); // flags: no data descriptor
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.compressedSize, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    name.copy(local, 30);

    const dir = Buffer.alloc(46 + name.length);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4); // made by: MS-DOS, spec 2.0
    local.copy(dir, 6, 4, 30); // version needed … name length, as in the local header; extra length 0
    // comment length, disk number, internal and external attributes: 0
    dir.writeUInt32LE(offset, 42);
    name.copy(dir, 46);
    central.push(dir);

    out.push(local, ...e.data);
    offset += local.length + e.compressedSize;
  }
  const dirSize = central.reduce((n, b) => n + b.length, 0);
  if (offset > LIMIT) throw new Error('archive too large for a zip without zip64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...out, ...central, end]);
}
