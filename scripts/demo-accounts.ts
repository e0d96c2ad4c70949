// The demo's portal accounts: one of each role on the fixtures' offices and units. Made or, on a second demo run,
// given a fresh password — so the demo always ends with passwords that work. Each change is audited like
// `ddcn users`.
import { openDatabase } from '../src/db/connect.js';
import { audit } from '../src/db/audit.js';
import type { Scope } from '../src/db/portal-scope.js';
import { insertUser, setPassword } from '../src/db/portal-users.js';
import { generatePassword, hashPassword } from '../src/portal/passwords.js';

export const DEMO_ACCOUNTS: Array<{ login: string; scope: Scope; what: string }> = [
  { login: 'demo-toanquoc', scope: { role: 'national' }, what: 'toàn quốc' },
  { login: 'demo-tinh-079', scope: { role: 'province', maTinh: '079' }, what: 'BHXH TP Hồ Chí Minh (079)' },
  { login: 'demo-huyen-001-010', scope: { role: 'district', maTinh: '001', maHuyen: '010' }, what: 'BHXH huyện 010, Hà Nội' },
  { login: 'demo-dv0010001', scope: { role: 'unit', maDonVi: 'DV0010001' }, what: 'đơn vị DV0010001' },
];

export async function demoAccounts(home: string): Promise<Array<{ login: string; password: string; what: string }>> {
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, home });
  try {
    const out = [];
    for (const a of DEMO_ACCOUNTS) {
      const password = generatePassword();
      const passwordHash = await hashPassword(password);
      await database.db.withTransaction(async (tx) => {
        const now = new Date();
        const added = await insertUser(tx, { login: a.login, scope: a.scope, passwordHash, now });
        if (!added) await setPassword(tx, a.login, passwordHash, now);
        await audit(tx, { at: now, login: 'cli:demo', action: 'users', object: `${added ? 'add' : 'reset-password'} ${a.login}`, result: 'ok', ip: null });
      });
      out.push({ login: a.login, password, what: a.what });
    }
    return out;
  } finally {
    await database.close();
  }
}
