// Hand-crafted rows of the demo fixture: each one exercises a matching rule or an input quirk of
// docs/plan-2207.md and docs/interface.md, with the outcome the rules demand.
import type { Field, Status } from '../src/domain/types.js';
import { makeDdcn } from './lib/synth.js';

export const FIXTURE_PROVINCES = ['001', '079'] as const; // Hà Nội, Hồ Chí Minh
export const UNITS_PER_PROVINCE = 4;

/** One person of the mock registry. */
export interface Person {
  ddcn: string;
  cmnd: string; // old number linked to the person, '' if none
  name: string;
  dob: string; // dd/mm/yyyy
  sex: 'Nam' | 'Nữ';
}

export interface Case {
  what: string; // what the case demonstrates (README)
  p: { ho_ten: string; ngay_sinh: string; gioi_tinh: string; so_giay_to: string; vssid?: string; email?: string };
  persons?: Person[]; // registry rows the case needs (written once even when shared)
  unknownNumber?: string; // a number that must not exist in the registry
  status: Exclude<Status, 'PENDING'>;
  fields?: Field[];
}

/** Serials 9000xx are reserved for these people; make-fixtures checks no bulk number collides. */
function person(province: string, sex: 'Nam' | 'Nữ', dob: string, name: string, serial: number, cmnd = ''): Person {
  const year = Number(dob.slice(-4));
  return { ddcn: makeDdcn(province, sex === 'Nam', year, serial), cmnd, name, dob, sex };
}

const p = (ho_ten: string, ngay_sinh: string, gioi_tinh: string, so_giay_to: string, extra: Partial<Case['p']> = {}): Case['p'] => ({
  ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ...extra,
});

const hoa = person('001', 'Nữ', '14/02/1985', 'Nguyễn Thị Hòa', 900001, '013900001');
const thuy = person('079', 'Nữ', '03/09/1991', 'Đỗ Thị Thủy', 900002);
const dung = person('001', 'Nam', '19/05/1968', 'Phạm Quang Dũng', 900003, '013900003');
const khoe = person('079', 'Nam', '22/12/1979', 'Lê Văn Khỏe', 900004, '025900004');
const hung = person('079', 'Nam', '10/10/1988', 'Ngô Văn Hưng', 900005, '025900005');
const lan = person('001', 'Nữ', '01/06/1993', 'Đặng Thị Lan', 900006);
const tuan = person('001', 'Nam', '25/01/1972', 'Nguyễn Văn Tuấn', 900007, '013900007');
const minh = person('001', 'Nam', '12/03/1975', 'Trần Đức Minh', 900008, '013900008');
const huong = person('079', 'Nữ', '21/07/1982', 'Huỳnh Thị Hương', 900009);
const hai = person('079', 'Nam', '11/05/1990', 'Phan Minh Hải', 900010, '025900010');
const anh = person('001', 'Nữ', '30/08/1986', 'Vũ Minh Anh', 900011, '013900011');
// 12-digit old CMND (issued 2012–2016 in some provinces): the registry has it as so_cmnd, not as an ĐDCN.
const thang = person('079', 'Nam', '30/04/1970', 'Võ Văn Thắng', 900012, '079070000912');
const mai = person('001', 'Nữ', '05/05/1977', 'Bùi Thị Mai', 900013, '012900013');
const ngocLan = person('079', 'Nữ', '15/08/1996', 'Trương Thị Ngọc Lan', 900014);
const son = person('031', 'Nam', '09/09/1987', 'Hồ Văn Sơn', 900015);
const binh = person('001', 'Nam', '17/11/1965', 'Đinh Công Bình', 900018, '013900018');
const nam = person('001', 'Nam', '02/09/1980', 'Hoàng Văn Nam', 900020, '013900020');
const yen = person('079', 'Nữ', '08/03/1989', 'Lưu Thị Yến', 900022, '025900022');
const quan = person('001', 'Nam', '16/06/1984', 'Mai Văn Quân', 900023, '013900023');
const cuong = person('079', 'Nam', '27/02/2001', 'Dương Quốc Cường', 900024);
const trang = person('001', 'Nữ', '13/10/1992', 'Lê Thu Trang', 900025, '013900025');
const nga = person('079', 'Nữ', '04/04/2003', 'Nguyễn Thị Nga', 900026);
const phuc = person('001', 'Nam', '20/12/1990', 'Trần Hữu Phúc', 900027, '013900027');
const vy = person('079', 'Nữ', '07/07/1999', 'Phạm Ngọc Vy', 900028, '025900028');
const lmai = person('001', 'Nữ', '11/11/1981', 'Lý Thị Mai', 900029, '013900029');
const hanh = person('001', 'Nữ', '28/02/1980', 'Võ Thị Hạnh', 900030, '013900030');
const long = person('079', 'Nam', '19/01/1976', 'Bùi Đức Long', 900031, '025900031');
const loan = person('001', 'Nữ', '06/06/1994', 'Đỗ Thị Loan', 900032, '013900032');
const toan = person('079', 'Nam', '23/03/1983', 'Hồ Minh Toàn', 900033, '025900033');
const oanh = person('001', 'Nữ', '09/12/1997', 'Ngô Thị Oanh', 900034);
const quy = person('079', 'Nam', '01/01/2002', 'Vũ Đình Quý', 900035);
const unknown12 = makeDdcn('001', false, 1994, 999_999); // valid structure, agrees with the record, not registered

export const CASES: readonly Case[] = [
  { what: 'tone placement: `Hoà` on file, `Hòa` in the registry', p: p('Nguyễn Thị Hoà', hoa.dob, 'Nữ', hoa.cmnd), persons: [hoa], status: 'MATCHED' },
  { what: 'tone placement: `Thuỷ` vs `Thủy`, number is the ĐDCN', p: p('Đỗ Thị Thuỷ', thuy.dob, 'Nữ', thuy.ddcn), persons: [thuy], status: 'MATCHED' },
  { what: 'name stored in Unicode NFD', p: p(dung.name.normalize('NFD'), dung.dob, 'Nam', dung.cmnd), persons: [dung], status: 'MATCHED' },
  { what: 'upper case and stray spaces: `  LÊ  VĂN   KHỎE `', p: p('  LÊ  VĂN   KHỎE ', khoe.dob, 'Nam', khoe.cmnd), persons: [khoe], status: 'MATCHED' },
  { what: '`Hùng` on file, `Hưng` in the registry: a different diacritic', p: p('Ngô Văn Hùng', hung.dob, 'Nam', hung.cmnd), persons: [hung], status: 'MISMATCHED', fields: ['name'] },
  { what: '`D` for `Đ`: `Dặng Thị Lan` vs `Đặng Thị Lan`', p: p('Dặng Thị Lan', lan.dob, 'Nữ', lan.ddcn), persons: [lan], status: 'MISMATCHED', fields: ['name'] },
  { what: 'name parts in another order: `Tuấn Nguyễn Văn`', p: p('Tuấn Nguyễn Văn', tuan.dob, 'Nam', tuan.cmnd), persons: [tuan], status: 'MISMATCHED', fields: ['name'] },
  { what: 'year-only birth date `1975` against 12/03/1975', p: p(minh.name, '1975', 'Nam', minh.cmnd), persons: [minh], status: 'MATCHED' },
  { what: 'month/year birth date `07/1982` against 21/07/1982', p: p(huong.name, '07/1982', 'Nữ', huong.ddcn), persons: [huong], status: 'MATCHED' },
  { what: 'day and month swapped: `05/11/1990` vs 11/05/1990', p: p(hai.name, '05/11/1990', 'Nam', hai.cmnd), persons: [hai], status: 'MISMATCHED', fields: ['dob'] },
  { what: 'sex differs (`Nam` on file, `Nữ` in the registry)', p: p(anh.name, anh.dob, 'Nam', anh.cmnd), persons: [anh], status: 'MISMATCHED', fields: ['sex'] },
  { what: '12-digit old CMND: not an ĐDCN, found as the registry\'s so_cmnd', p: p(thang.name, thang.dob, 'Nam', thang.cmnd), persons: [thang], status: 'MATCHED' },
  { what: '8 digits: CMND `012900013` lost its leading zero in a spreadsheet; repaired', p: p(mai.name, mai.dob, 'Nữ', mai.cmnd.slice(1)), persons: [mai], status: 'MATCHED' },
  { what: '11 digits: ĐDCN starting `079` lost its leading zero; repaired', p: p(ngocLan.name, ngocLan.dob, 'Nữ', ngocLan.ddcn.slice(1)), persons: [ngocLan], status: 'MATCHED' },
  { what: 'number written with spaces and dots', p: p(son.name, son.dob, 'Nam', `${son.ddcn.slice(0, 3)} ${son.ddcn.slice(3, 6)}.${son.ddcn.slice(6, 9)}.${son.ddcn.slice(9)}`), persons: [son], status: 'MATCHED' },
  { what: '9-digit number the registry does not know', p: p('Lý Văn Long', '02/02/1983', 'Nam', '187654321'), unknownNumber: '187654321', status: 'MISMATCHED', fields: ['id_number'] },
  { what: '12-digit ĐDCN-shaped number the registry does not know', p: p('Nguyễn Thị Chi', '14/04/1994', 'Nữ', unknown12), unknownNumber: unknown12, status: 'MISMATCHED', fields: ['id_number'] },
  { what: 'no number on file (the person exists in the registry)', p: p(binh.name, binh.dob, 'Nam', ''), persons: [binh], status: 'MISSING_ID' },
  { what: 'unusable number `12345` (impossible length): a finding, not sent', p: p('Trần Văn Khải', '03/03/1979', 'Nam', '12345'), status: 'MISSING_ID' },
  { what: 'CONFLICT 1/2: old CMND of Hoàng Văn Nam', p: p(nam.name, nam.dob, 'Nam', nam.cmnd), persons: [nam], status: 'CONFLICT' },
  { what: 'CONFLICT 2/2: same person under another ma_so_bhxh, carrying his ĐDCN', p: p(nam.name, nam.dob, 'Nam', nam.ddcn), persons: [nam], status: 'CONFLICT' },
  { what: 'sex written `nu`', p: p(yen.name, yen.dob, 'nu', yen.cmnd), persons: [yen], status: 'MATCHED' },
  { what: 'sex written `M`', p: p(quan.name, quan.dob, 'M', quan.cmnd), persons: [quan], status: 'MATCHED' },
  { what: 'sex written `1` (= Nam); born 2001: century digit 2', p: p(cuong.name, cuong.dob, '1', cuong.ddcn), persons: [cuong], status: 'MATCHED' },
  { what: 'sex written `F`; VssID `có`', p: p(trang.name, trang.dob, 'F', trang.cmnd, { vssid: 'có', email: '' }), persons: [trang], status: 'MATCHED' },
  { what: 'sex written `0` (= Nữ); born 2003: century digit 3; VssID `x` with e-mail', p: p(nga.name, nga.dob, '0', nga.ddcn, { vssid: 'x', email: 'nga.nguyen@example.vn' }), persons: [nga], status: 'MATCHED' },
  { what: 'birth date as `yyyy-mm-dd`; VssID `không`', p: p(phuc.name, '1990-12-20', 'NAM', phuc.cmnd, { vssid: 'không', email: '' }), persons: [phuc], status: 'MATCHED' },
  { what: 'sex `NỮ` in capitals; VssID empty (= not registered)', p: p(vy.name, vy.dob, 'NỮ', vy.cmnd, { vssid: '', email: '' }), persons: [vy], status: 'MATCHED' },
  { what: 'formula-looking name `=HYPERLINK("x")`: must stay text in every output', p: p('=HYPERLINK("x")', lmai.dob, 'Nữ', lmai.cmnd), persons: [lmai], status: 'MISMATCHED', fields: ['name'] },
  { what: 'impossible birth date `31/02/1980`: imported with a finding', p: p(hanh.name, '31/02/1980', 'Nữ', hanh.cmnd), persons: [hanh], status: 'MISMATCHED', fields: ['dob'] },
  { what: 'unreadable sex `?`: imported with a finding', p: p(long.name, long.dob, '?', long.cmnd), persons: [long], status: 'MISMATCHED', fields: ['sex'] },
  { what: 'two fields differ: `Đỗ Thị Loan` as `Đỗ Thị Loang`, born a year later', p: p('Đỗ Thị Loang', '06/06/1995', 'Nữ', loan.cmnd), persons: [loan], status: 'MISMATCHED', fields: ['dob', 'name'] },
  { what: 'three fields differ', p: p('Hồ Minh Tâm', '23/03/1984', 'Nữ', toan.cmnd), persons: [toan], status: 'MISMATCHED', fields: ['dob', 'name', 'sex'] },
  { what: 'ĐDCN says female, record says `Nam` (visible before asking the registry)', p: p(oanh.name, oanh.dob, 'Nam', oanh.ddcn), persons: [oanh], status: 'MISMATCHED', fields: ['sex'] },
  { what: 'ĐDCN says born 2002, record says 2001', p: p(quy.name, '01/01/2001', 'Nam', quy.ddcn), persons: [quy], status: 'MISMATCHED', fields: ['dob'] },
];

/** Rows `ddcn import participants` must write to the rejects file, each with the reason it writes (word for word). */
export const REJECTS: readonly { code: string; why: string; p: Case['p'] }[] = [
  { code: '', why: 'ma_so_bhxh is empty', p: p('Nguyễn Văn An', '10/10/1990', 'Nam', '187000001') },
  { code: '01000A9002', why: 'ma_so_bhxh must be 10 digits', p: p('Trần Thị Bích', '05/05/1985', 'Nữ', '187000002') },
  { code: '100009003', why: 'ma_so_bhxh has 9 digits: a leading zero was probably lost; format the column as Text', p: p('Lê Văn Cường', '20/01/1978', 'Nam', '187000003') },
];
