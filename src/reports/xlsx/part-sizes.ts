import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';

// With `info`, zlib says how many bytes of input the stream took: all the part's, or data hides after its end.
const inflate = promisify((data: Buffer, options: { maxOutputLength: number; info: true }, done: (err: Error | null, r: { buffer: Buffer; engine: { bytesWritten: number } }) => void) =>
  inflateRaw(data, options, done as never),
);

/**
 * More parts than a workbook has (tens, hundreds with pictures): a directory of 60 000 entries is an attack, and
 * each part costs the check ~0.1 ms.
 */
const MAX_ENTRIES = 2_000;
const END_RECORD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

interface Entry {
  name: string;
  method: number; // 0 stored, 8 deflated
  compressed: number;
  uncompressed: number; // as the directory states it
  data: number; // where the entry's data starts
}

/**
 * The entries of a zip laid out the one way every reader sees alike, or null. Hand-written: the zip libraries at
 * hand inflate entries to list them, and two readers can see two different zips in one file — JSZip (exceljs's
 * reader) follows a ZIP64 record and reads directory entries past the count the end record gives, a streaming
 * reader goes by the local headers — so a file that one check passes could still unpack to gigabytes in the
 * reader. Refused, then: a ZIP64 record (no workbook needs one), bytes before the first part or between the
 * directory and its end record, a count that is not the directory's, more than MAX_ENTRIES parts, and parts that
 * are not one after the other from the start of the file (each followed by its data descriptor when it says it
 * has one), so that all the data is read once at most. Excel's, LibreOffice's and ddcn's own workbooks are so.
 */
async function entries(handle: FileHandle): Promise<Entry[] | null> {
  const { size } = await handle.stat();
  if (size < 22) return null;
  const tailLength = Math.min(size, 65_557); // end record (22 bytes) + the longest comment
  const tail = Buffer.alloc(tailLength);
  await handle.read(tail, 0, tailLength, size - tailLength);
  let end = -1;
  for (let i = tailLength - 22; i >= 0 && end < 0; i--) if (tail.readUInt32LE(i) === END_RECORD) end = i;
  if (end < 0) return null;
  const endAt = size - tailLength + end;
  if (endAt + 22 + tail.readUInt16LE(end + 20) !== size) return null; // the record readers find, and nothing after it
  if (endAt >= 20) {
    const locator = Buffer.alloc(4);
    await handle.read(locator, 0, 4, endAt - 20);
    if (locator.readUInt32LE(0) === ZIP64_LOCATOR) return null;
  }
  const count = tail.readUInt16LE(end + 10);
  if (tail.readUInt16LE(end + 4) !== 0 || tail.readUInt16LE(end + 6) !== 0 || tail.readUInt16LE(end + 8) !== count) return null;
  if (count === 0 || count > MAX_ENTRIES) return null;
  const dirSize = tail.readUInt32LE(end + 12);
  const dirOffset = tail.readUInt32LE(end + 16);
  if (dirOffset + dirSize !== endAt) return null;

  const dir = Buffer.alloc(dirSize);
  await handle.read(dir, 0, dirSize, dirOffset);
  const listed: Array<Omit<Entry, 'data'> & { local: number; descriptor: boolean; crc: number; raw: Buffer }> = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dirSize || dir.readUInt32LE(p) !== DIRECTORY_ENTRY) return null;
    const nameLength = dir.readUInt16LE(p + 28);
    const next = p + 46 + nameLength + dir.readUInt16LE(p + 30) + dir.readUInt16LE(p + 32);
    if (next > dirSize) return null;
    const compressed = dir.readUInt32LE(p + 20);
    const uncompressed = dir.readUInt32LE(p + 24);
    if (compressed === 0xffffffff || uncompressed === 0xffffffff) return null; // ZIP64 sizes
    listed.push({
      name: dir.toString('utf8', p + 46, p + 46 + nameLength),
      method: dir.readUInt16LE(p + 10),
      compressed,
      uncompressed,
      local: dir.readUInt32LE(p + 42),
      descriptor: (dir.readUInt16LE(p + 8) & 0x08) !== 0,
      crc: dir.readUInt32LE(p + 16),
      raw: dir.subarray(p + 46, p + 46 + nameLength),
    });
    p = next;
  }
  if (p !== dirSize) return null; // entries beyond the count: a reader that reads on would see them

  listed.sort((a, b) => a.local - b.local);
  const out: Entry[] = [];
  let at = 0;
  for (const e of listed) {
    if (e.local !== at) return null;
    // The local header must say what the directory says: a streaming reader (unzipper) goes by it alone — its
    // method, its sizes, its name — and would otherwise read other data than was checked.
    const head = Buffer.alloc(30 + e.raw.length);
    if ((await handle.read(head, 0, head.length, at)).bytesRead < head.length || head.readUInt32LE(0) !== LOCAL_HEADER) return null;
    if (head.readUInt16LE(8) !== e.method || (head.readUInt16LE(6) & 0x08) !== (e.descriptor ? 0x08 : 0)) return null;
    if (head.readUInt16LE(26) !== e.raw.length || !head.subarray(30).equals(e.raw)) return null;
    if (!e.descriptor && (head.readUInt32LE(18) !== e.compressed || head.readUInt32LE(22) !== e.uncompressed)) return null;
    if (e.descriptor && e.method !== 8) return null; // stored data of unknown length: where it ends is a guess
    const data = at + 30 + e.raw.length + head.readUInt16LE(28);
    at = data + e.compressed;
    if (e.descriptor) {
      // 12 bytes (CRC, sizes), or 16 with the descriptor's own signature first: told apart by the CRC.
      const d = Buffer.alloc(8);
      await handle.read(d, 0, 8, at);
      at += d.readUInt32LE(0) === 0x08074b50 && d.readUInt32LE(4) === e.crc ? 16 : d.readUInt32LE(0) === e.crc ? 12 : -Infinity;
    }
    if (!(at <= dirOffset)) return null;
    out.push({ name: e.name, method: e.method, compressed: e.compressed, uncompressed: e.uncompressed, data });
  }
  return at === dirOffset ? out : null;
}

/**
 * The uncompressed size of each part of an .xlsx (a zip), read from its central directory without inflating
 * anything: a 159 KB workbook can hold a 150 MB cell, and its size must be known before a reader builds it. Null
 * when the file is no zip laid out as entries() requires.
 */
export async function xlsxPartSizes(file: string): Promise<Map<string, number> | null> {
  const handle = await open(file, 'r');
  try {
    const list = await entries(handle);
    return list && new Map(list.map((e) => [e.name, e.uncompressed]));
  } finally {
    await handle.close();
  }
}

/**
 * Whether the parts of a zip, inflated, come to at most `limit.total` bytes, none over `limit.part`: what the
 * directory states may be false (a part said to hold 1 KB that unpacks to a gigabyte), and the readers find out
 * only once they have built it. Each part is inflated in turn, on zlib's threads, never beyond what is left of the
 * limit; each byte of the file once at most (entries()). `unreadable`: no zip laid out as entries() requires, or a
 * part that does not inflate — to be refused as damaged. A Mẫu 02 of 5 000 people as ddcn writes it (419 KB,
 * 4.0 MB unpacked) takes 14–21 ms.
 */
export async function unpackedWithin(
  file: string,
  limit: { total: number; part?: number },
  // Given each part as it unpacks (within the limits), to look into before a reader builds it.
  onPart?: (name: string, data: Buffer) => void,
): Promise<'yes' | 'over' | 'unreadable'> {
  const handle = await open(file, 'r');
  try {
    const list = await entries(handle);
    if (!list) return 'unreadable';
    let left = limit.total;
    const part = limit.part ?? limit.total;
    for (const e of list) {
      const data = Buffer.alloc(e.compressed);
      if ((await handle.read(data, 0, e.compressed, e.data)).bytesRead < e.compressed) return 'unreadable';
      let unpacked: Buffer;
      if (e.method === 0) {
        if (e.compressed > part) return 'over';
        unpacked = data;
      } else if (e.method === 8) {
        try {
          const r = await inflate(data, { maxOutputLength: Math.min(left, part) + 1, info: true });
          // A stream that ends before the part's stated end: the rest (a hidden part, for a reader that scans for
          // the next header) is refused as damaged.
          if (r.engine.bytesWritten !== e.compressed) return 'unreadable';
          unpacked = r.buffer;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'over' : 'unreadable';
        }
      } else return 'unreadable';
      left -= unpacked.length;
      if (left < 0) return 'over';
      onPart?.(e.name, unpacked);
    }
    return 'yes';
  } finally {
    await handle.close();
  }
}
