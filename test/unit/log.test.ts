// The logger's safety net: an object that carries personal data and slips into a log call still prints none of
// it. Logged through the project's own logger factory, read back as the JSON lines an operator would see.
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}

// Every key the redact list names, each with a value found nowhere else in a log line.
const PERSON = {
  ho_ten: 'Nguyễn Văn Hùng', hoTen: 'Trần Thị Thủy', ngay_sinh: '1990-03-05', ngaySinh: '1985-12-25',
  so_giay_to: '012345678', soGiayTo: '023456784', so_ddcn: '001090000001', soDdcn: '079185000002',
  so_cmnd: '034567891', soCmnd: '045678912', email: 'hung.nguyen@example.vn', dob: '1971-07-14',
};
const VALUES = Object.values(PERSON);

describe('log redaction', () => {
  it('lists every personal key it is asked to censor, at the top and two levels down', () => {
    for (const key of Object.keys(PERSON)) expect(REDACT_PATHS).toEqual(expect.arrayContaining([key, `*.${key}`, `*.*.${key}`]));
  });

  it('prints none of the personal values of an object logged at the top level, one level or two levels down', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream).child({ stage: 'test' });
    log.info({ maSoBhxh: '0100000001', ...PERSON }, 'top level');
    log.warn({ maSoBhxh: '0100000002', person: PERSON }, 'one level down');
    log.error({ maSoBhxh: '0100000003', batch: { person: PERSON } }, 'two levels down');

    expect(lines).toHaveLength(3);
    const text = lines.join('');
    const leaked = VALUES.filter((v) => text.includes(v));
    expect(leaked).toEqual([]);
    // The lines are still there, with the codes they carry and the censor mark in place of each value.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p.msg, p.maSoBhxh])).toEqual([
      ['top level', '0100000001'], ['one level down', '0100000002'], ['two levels down', '0100000003'],
    ]);
    expect(parsed[0]).toMatchObject(Object.fromEntries(Object.keys(PERSON).map((k) => [k, '[redacted]'])));
    expect((parsed[1]!.person as Record<string, unknown>).ho_ten).toBe('[redacted]');
    expect(((parsed[2]!.batch as Record<string, unknown>).person as Record<string, unknown>).email).toBe('[redacted]');
  });

  it('logs at the level it is given', () => {
    const { lines, stream } = capture();
    const log = createLogger('warn', stream);
    log.info('not printed');
    log.warn('printed');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string; name: string }).msg)).toEqual(['printed']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'ddcn', level: 40 });
  });

  it('serialises an error with its message and stack, not as an empty object', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).error({ err: new Error('the registry is unavailable') }, 'failed');
    const err = (JSON.parse(lines[0]!) as { err: { message: string; stack: string; type: string } }).err;
    expect(err).toMatchObject({ message: 'the registry is unavailable', type: 'Error' });
    expect(err.stack).toContain('log.test.ts');
  });
});
