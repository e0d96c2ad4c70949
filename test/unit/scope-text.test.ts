// The portal's header names whose pages these are as the forms name the offices (not "tỉnh mã 031").
import { describe, expect, it } from 'vitest';
import { scopeText } from '../../src/portal/render.js';

describe('the scope of a portal account', () => {
  it("names an account's scope as the forms name offices", () => {
    expect(scopeText({ role: 'province', maTinh: '031' })).toBe('Bảo hiểm xã hội thành phố Hải Phòng (031)');
    expect(scopeText({ role: 'province', maTinh: '27' })).toBe('Bảo hiểm xã hội tỉnh Bắc Ninh (27)');
    expect(scopeText({ role: 'district', maTinh: '79', maHuyen: '760' })).toBe('Quận 1 (760), Bảo hiểm xã hội thành phố Hồ Chí Minh');
    expect(scopeText({ role: 'national' })).toBe('toàn quốc');
    expect(scopeText({ role: 'unit', maDonVi: 'HN0010001' })).toBe('đơn vị HN0010001');
  });
});
