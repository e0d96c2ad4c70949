// The portal over HTTP for tests: a database with people in two provinces, verified once; accounts of every
// role; a client that keeps cookies and sends forms the way a browser does (with the page's `_csrf`).
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { insertUser } from '../../src/db/portal-users.js';
import type { Scope } from '../../src/db/portal-scope.js';
import type { Db } from '../../src/db/pool.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { buildPortal, type Portal } from '../../src/portal/app.js';
import { hashPassword } from '../../src/portal/passwords.js';
import { DEFAULT_PORTAL_SETTINGS, type PortalSettings } from '../../src/portal/settings.js';
import { deps, mockRegistry, runDeps, writeParticipants, writeRegistry, type ParticipantInput, type RegistryInput } from '../helpers/pipeline.js';

export const PASSWORD = 'mat-khau-thu-nghiem';

// Hà Nội (001): district 005 has unit HN1, district 006 has HN2. TP Hồ Chí Minh (079): district 760 has HCM1.
export const UNITS = {
  HN1: { ma_don_vi: 'HN0010001', ten_don_vi: 'Công ty Hoa Sen', ma_tinh: '001', ma_huyen: '005' },
  HN2: { ma_don_vi: 'HN0010002', ten_don_vi: 'Công ty Trúc Xanh', ma_tinh: '001', ma_huyen: '006' },
  HCM1: { ma_don_vi: 'SG0790001', ten_don_vi: 'Công ty Bến Nghé', ma_tinh: '079', ma_huyen: '760' },
} as const;

// Each unit: one matched, one mismatched (name), one without a number. The names are unique, to find leaks.
export const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0010000001', ho_ten: 'Nguyễn Văn An', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '001090000001', ...UNITS.HN1 },
  { ma_so_bhxh: '0010000002', ho_ten: 'Trần Thị Bích', ngay_sinh: '12/07/1985', gioi_tinh: 'Nữ', so_giay_to: '012345602', ...UNITS.HN1 },
  { ma_so_bhxh: '0010000003', ho_ten: 'Lê Văn Cường', ngay_sinh: '1979', gioi_tinh: 'Nam', so_giay_to: '', ...UNITS.HN1 },
  { ma_so_bhxh: '0010000011', ho_ten: 'Phạm Thị Dung', ngay_sinh: '01/01/1991', gioi_tinh: 'Nữ', so_giay_to: '001191000011', ...UNITS.HN2 },
  { ma_so_bhxh: '0010000012', ho_ten: 'Hoàng Văn Em', ngay_sinh: '02/02/1982', gioi_tinh: 'Nam', so_giay_to: '012345612', ...UNITS.HN2 },
  { ma_so_bhxh: '0010000013', ho_ten: 'Vũ Thị Giang', ngay_sinh: '1970', gioi_tinh: 'Nữ', so_giay_to: '', ...UNITS.HN2 },
  { ma_so_bhxh: '0790000021', ho_ten: 'Đặng Văn Hải', ngay_sinh: '03/03/1993', gioi_tinh: 'Nam', so_giay_to: '079093000021', ...UNITS.HCM1 },
  { ma_so_bhxh: '0790000022', ho_ten: 'Bùi Thị Khánh', ngay_sinh: '04/04/1984', gioi_tinh: 'Nữ', so_giay_to: '023456722', ...UNITS.HCM1 },
  { ma_so_bhxh: '0790000023', ho_ten: 'Đỗ Văn Long', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '', ...UNITS.HCM1 },
];

// The registry knows everyone with a number; the second person of each unit under another name.
export const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', ho_ten: 'Nguyễn Văn An', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '001185000002', so_cmnd: '012345602', ho_ten: 'Trần Thị Bính', ngay_sinh: '12/07/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001191000011', ho_ten: 'Phạm Thị Dung', ngay_sinh: '01/01/1991', gioi_tinh: 'Nữ' },
  { so_ddcn: '001082000012', so_cmnd: '012345612', ho_ten: 'Hoàng Văn Êm', ngay_sinh: '02/02/1982', gioi_tinh: 'Nam' },
  { so_ddcn: '079093000021', ho_ten: 'Đặng Văn Hải', ngay_sinh: '03/03/1993', gioi_tinh: 'Nam' },
  { so_ddcn: '079184000022', so_cmnd: '023456722', ho_ten: 'Bùi Thị Khánh Ly', ngay_sinh: '04/04/1984', gioi_tinh: 'Nữ' },
];

export const ACCOUNTS: Record<string, Scope> = {
  'tw': { role: 'national' },
  'tinh-001': { role: 'province', maTinh: '001' },
  'huyen-001-005': { role: 'district', maTinh: '001', maHuyen: '005' },
  'dv-hn1': { role: 'unit', maDonVi: UNITS.HN1.ma_don_vi },
  'tinh-079': { role: 'province', maTinh: '079' },
  'dv-hcm1': { role: 'unit', maDonVi: UNITS.HCM1.ma_don_vi },
};

/** People data, verified once, accounts made: what the portal shows on the morning after a run. */
export async function seed(db: Db, dir: string): Promise<{ registryFile: string }> {
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const registryFile = await writeRegistry(dir, REGISTRY);
  await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
  const passwordHash = await hashPassword(PASSWORD);
  for (const [login, scope] of Object.entries(ACCOUNTS)) await insertUser(db, { login, scope, passwordHash, now: new Date() });
  return { registryFile };
}

export async function portal(db: Db, settings: Partial<PortalSettings> = {}, now: () => Date = () => new Date()): Promise<Portal> {
  // Sign-in attempts per address are counted in the database, and every test of a file signs in from the same
  // address into the same database: the limit is raised unless a test sets it.
  return buildPortal({ deps: { ...deps(db), now }, settings: { ...DEFAULT_PORTAL_SETTINGS, loginsPerMinute: 1_000, ...settings } });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  raw: Buffer;
}

const csrfIn = (html: string) => /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? null;

/** A browser: cookies kept, forms sent with the `_csrf` of the last page that had a form. */
export class Client {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;
  /** Sent with every request (a proxy's X-Forwarded-For, say). */
  headers: Record<string, string> = {};

  constructor(private readonly app: FastifyInstance) {}

  private keep(headers: Answer['headers']) {
    const set = headers['set-cookie'];
    for (const c of [set ?? []].flat()) {
      const [pair] = String(c).split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(String(c))) this.cookies.delete(name!);
      else this.cookies.set(name!, value);
    }
  }

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: 'GET' | 'POST' | 'HEAD', url: string, payload?: { body: Buffer | string; type: string }): Promise<Answer> {
    const res = await this.app.inject({
      method, url,
      headers: { ...this.headers, cookie: this.cookieHeader(), ...(payload ? { 'content-type': payload.type } : {}) },
      ...(payload ? { payload: payload.body } : {}),
    });
    this.keep(res.headers);
    const answer = { status: res.statusCode, headers: res.headers, body: res.body, raw: res.rawPayload };
    const token = String(res.headers['content-type'] ?? '').startsWith('text/html') ? csrfIn(res.body) : null;
    if (token) this.csrf = token;
    return answer;
  }

  get(url: string) {
    return this.request('GET', url);
  }

  /** A form POST with this client's token unless `_csrf` is given (null: none at all). */
  post(url: string, fields: Record<string, string>, csrf: string | null | undefined = undefined) {
    const token = csrf === undefined ? this.csrf : csrf;
    const all = token === null ? fields : { _csrf: token ?? '', ...fields };
    return this.request('POST', url, { body: new URLSearchParams(all).toString(), type: 'application/x-www-form-urlencoded' });
  }

  /** A form sent, its answer as a browser shows it: a 303 is followed, `redirectedFrom` keeping the POST's answer. */
  async submit(url: string, fields: Record<string, string>): Promise<Answer & { redirectedFrom?: Answer }> {
    return this.followed(await this.post(url, fields));
  }

  private async followed(posted: Answer): Promise<Answer & { redirectedFrom?: Answer }> {
    const location = posted.status === 303 ? String(posted.headers.location ?? '') : '';
    return location ? { ...(await this.get(location)), redirectedFrom: posted } : posted;
  }

  /**
   * A file sent with the upload form. Its answer as a browser shows it: a 303 (the result's own page) is followed,
   * `redirectedFrom` then keeping the POST's own answer.
   */
  async upload(url: string, file: { name: string; body: Buffer }, csrf: string | null | undefined = undefined): Promise<Answer & { redirectedFrom?: Answer }> {
    return this.followed(await this.uploadOnly(url, file, csrf));
  }

  /** The upload's POST alone, its answer as it came. */
  uploadOnly(url: string, file: { name: string; body: Buffer }, csrf: string | null | undefined = undefined) {
    const token = csrf === undefined ? this.csrf : csrf;
    const boundary = '----ddcntest' + Math.random().toString(16).slice(2);
    const parts: Buffer[] = [];
    if (token !== null) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(file.body, Buffer.from(`\r\n--${boundary}--\r\n`));
    return this.request('POST', url, { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` });
  }

  async signIn(login: string, password = PASSWORD): Promise<Answer> {
    await this.get('/login');
    return this.post('/login', { login, password });
  }
}

export async function signedIn(app: FastifyInstance, login: string): Promise<Client> {
  const c = new Client(app);
  const res = await c.signIn(login);
  if (res.status !== 303) throw new Error(`sign-in of ${login} answered ${res.status}`);
  await c.get('/'); // the dashboard's forms carry the session's token
  return c;
}

/** Every text of the first sheet of a workbook. */
export async function xlsxText(body: Buffer): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  const out: string[] = [];
  wb.worksheets[0]!.eachRow((row) => row.eachCell((cell) => out.push(cell.text)));
  return out.join('\n');
}
