import { open } from 'node:fs/promises';

/**
 * The uncompressed size of each part of an .xlsx (a zip), read from its central directory without inflating
 * anything: a 159 KB workbook can hold a 150 MB cell, and its size must be known before a reader builds it.
 * Hand-written: the zip libraries at hand inflate entries to list them, and the central directory is a flat table.
 */
export async function xlsxPartSizes(file: string): Promise<Map<string, number> | null> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557); // end record (22 bytes) + the longest comment
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const end = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (end < 0) return null;
    const entries = tail.readUInt16LE(end + 10);
    const dirSize = tail.readUInt32LE(end + 12);
    const dirOffset = tail.readUInt32LE(end + 16);
    if (dirOffset + dirSize > size) return null;
    const dir = Buffer.alloc(dirSize);
    await handle.read(dir, 0, dirSize, dirOffset);
    const sizes = new Map<string, number>();
    let p = 0;
    for (let i = 0; i < entries && p + 46 <= dir.length; i++) {
      if (dir.readUInt32LE(p) !== 0x02014b50) return null;
      const uncompressed = dir.readUInt32LE(p + 24); // 0xFFFFFFFF (ZIP64) reads as over 4 GB: over any limit
      const nameLength = dir.readUInt16LE(p + 28);
      const extra = dir.readUInt16LE(p + 30);
      const comment = dir.readUInt16LE(p + 32);
      sizes.set(dir.toString('utf8', p + 46, p + 46 + nameLength), uncompressed);
      p += 46 + nameLength + extra + comment;
    }
    return sizes;
  } finally {
    await handle.close();
  }
}
