// Exchange files hold names, dates of birth and ID numbers: never readable by everyone (docs/interface.md, 0640).
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { partialName, writeFileAtomic } from '../../src/adapters/file-exchange-fs.js';
import { useTempDir } from '../helpers/pipeline.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('the mode of an exchange file', () => {
  it('is 0640 when written over a dot file a crash left readable by everyone, and a stricter one stays', async () => {
    const dir = await useTempDir();
    await writeFile(path.join(dir, partialName('ddcn-req-1.csv')), 'half', { mode: 0o644 });
    await writeFileAtomic(dir, 'ddcn-req-1.csv', 'request\n');
    expect(await modeOf(path.join(dir, 'ddcn-req-1.csv'))).toBe(0o640);
    await writeFile(path.join(dir, partialName('ddcn-req-2.csv')), 'half', { mode: 0o600 });
    await writeFileAtomic(dir, 'ddcn-req-2.csv', 'request\n');
    expect(await modeOf(path.join(dir, 'ddcn-req-2.csv'))).toBe(0o600);
  });
});
