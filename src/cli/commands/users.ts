import os from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError, UserError } from '../../errors.js';
import { withContext } from '../context.js';
import { requireCode } from '../checks.js';
import { districtExists, hasParticipants } from '../../db/codes.js';
import { districtKey } from '../../domain/provinces.js';
import type { Database } from '../../db/connect.js';
import { audit } from '../../db/audit.js';
import type { Scope } from '../../db/portal-scope.js';
import { disableUser, enableUser, findUser, insertUser, listUsers, setPassword } from '../../db/portal-users.js';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH } from '../../portal/passwords.js';
import { stdinText } from '../stdin.js';

const LOGIN = /^[a-z0-9._-]{2,64}$/;

function checkLogin(login: string): string {
  if (!LOGIN.test(login)) throw new UsageError(`login "${login}" must be 2–64 characters: lower-case letters, digits, ".", "_" or "-"`);
  return login;
}

/**
 * The account's province or unit as the data writes it, once participants are on file: a code that is not there
 * would give the office an empty portal (`--province 79` where the data says `079`, taken in that form; `99`,
 * refused with the nearest codes). Before the first import nothing can be checked: the code is kept as given.
 */
async function scopeOnFile(database: Database, scope: Scope): Promise<Scope> {
  if (!(await hasParticipants(database.db))) {
    // Not against the data, but a province or district code is a number of 1–3 digits, whatever the data: `abc` or
    // `0079` would make an account that can never see anyone.
    const digits = (flag: string, code: string) => {
      if (!/^[0-9]{1,3}$/.test(code)) throw new UsageError(`${flag} ${code}: a ${flag.slice(2)} code is a number of 1–3 digits (79 or 079)`);
    };
    if (scope.role === 'province' || scope.role === 'district') digits('--province', scope.maTinh);
    if (scope.role === 'district') digits('--district', scope.maHuyen);
    process.stderr.write('no participants on file yet: the account\'s codes are not checked against the data\n');
    // A district in 3 digits, as the import stores districts (`5` is `005`).
    return scope.role === 'district' ? { ...scope, maHuyen: districtKey(scope.maHuyen) } : scope;
  }
  if (scope.role === 'province') return { ...scope, maTinh: (await requireCode(database, 'province', scope.maTinh))! };
  if (scope.role === 'district') {
    const maTinh = (await requireCode(database, 'province', scope.maTinh))!;
    // `--district 10` for the data's `010`, as `ddcn import targets` reads a district (a number cell's `1` is `001`):
    // the code as given when the data writes it so, else its 3-digit form.
    for (const maHuyen of new Set([scope.maHuyen, districtKey(scope.maHuyen)])) {
      if (await districtExists(database.db, maTinh, maHuyen)) return { ...scope, maTinh, maHuyen };
    }
    throw new UserError(`no district ${scope.maHuyen} of province ${maTinh} in ${database.where}. Check --district.`);
  }
  if (scope.role === 'unit') return { ...scope, maDonVi: (await requireCode(database, 'unit', scope.maDonVi))! };
  return scope;
}

async function readPasswordStdin(): Promise<string> {
  const password = await stdinText();
  // A second line (`echo` of a heredoc with a blank line after, say) or another control character would be part of
  // a password nobody can type into the sign-in form: the account could never sign in.
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(password)) {
    throw new UsageError('the password on stdin must be one line, without tabs or other control characters: nothing was changed');
  }
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password on stdin must have at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

function scopeFrom(o: { role: Scope['role']; province?: string; district?: string; unit?: string }): Scope {
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new UsageError(`--role ${o.role} needs ${flag}`);
    return v;
  };
  const none = (flags: Array<[string | undefined, string]>) => {
    const extra = flags.filter(([v]) => v !== undefined).map(([, f]) => f);
    if (extra.length) throw new UsageError(`--role ${o.role} does not take ${extra.join(', ')}`);
  };
  switch (o.role) {
    case 'national':
      none([[o.province, '--province'], [o.district, '--district'], [o.unit, '--unit']]);
      return { role: 'national' };
    case 'province':
      none([[o.district, '--district'], [o.unit, '--unit']]);
      return { role: 'province', maTinh: need(o.province, '--province CODE') };
    case 'district':
      none([[o.unit, '--unit']]);
      return { role: 'district', maTinh: need(o.province, '--province CODE'), maHuyen: need(o.district, '--district CODE') };
    case 'unit':
      none([[o.province, '--province'], [o.district, '--district']]);
      return { role: 'unit', maDonVi: need(o.unit, '--unit CODE') };
  }
}

// Who ran a `users` command, for the audit trail: the operator's system account.
const operator = () => `cli:${os.userInfo().username}`;

/** `ddcn users add|list|disable|reset-password`: the portal's accounts (docs/interface.md, "The portal"). */
export function registerUsers(cli: Command, logLevel: () => string | undefined): void {
  const users = cli.command('users').description('portal accounts');

  users
    .command('add')
    .description('create an account; without --password-stdin a password is generated and printed once on stdout')
    .argument('<login>', 'login name', checkLogin)
    .addOption(new Option('--role <role>', 'what the account sees').choices(['national', 'province', 'district', 'unit']).makeOptionMandatory())
    .option('--province <code>', 'ma_tinh (province and district accounts)')
    .option('--district <code>', 'ma_huyen (district accounts)')
    .option('--unit <code>', 'ma_don_vi (unit accounts)')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (login: string, o: { role: Scope['role']; province?: string; district?: string; unit?: string; passwordStdin?: boolean }) => {
      const given = scopeFrom(o);
      const password = o.passwordStdin ? await readPasswordStdin() : generatePassword();
      const passwordHash = await hashPassword(password);
      await withContext(logLevel(), async (deps, { database }) => {
        const scope = await scopeOnFile(database, given);
        return deps.db.withTransaction(async (tx) => {
          const added = await insertUser(tx, { login, scope, passwordHash, now: deps.now() });
          if (!added) throw new UserError(`the login "${login}" exists already; choose another, or use \`ddcn users reset-password ${login}\``);
          await audit(tx, { at: deps.now(), login: operator(), action: 'users', object: `add ${login} (${o.role})`, result: 'ok', ip: null });
        });
      });
      if (!o.passwordStdin) process.stdout.write(`${password}\n`);
      process.stderr.write(`account ${login} (${o.role}) created\n`);
    });

  users
    .command('list')
    .description('the accounts: login, role, scope, state')
    .action(async () => {
      const { rows, where } = await withContext(logLevel(), async (deps, { database }) => ({ rows: await listUsers(deps.db), where: database.where }));
      // Nothing on stdout (it holds the accounts, one a line), but not silence: an empty list looks like a failure,
      // or like the wrong database, which is said.
      if (rows.length === 0) process.stderr.write(`no accounts in ${where}: \`ddcn users add LOGIN --role national|province|district|unit\` creates one\n`);
      for (const u of rows) {
        const scope = [u.maTinh, u.maHuyen, u.maDonVi].filter(Boolean).join('/') || '-';
        const state = u.disabled ? 'disabled' : u.lockedUntil && u.lockedUntil > new Date() ? 'locked' : 'active';
        process.stdout.write(`${u.login}\t${u.role}\t${scope}\t${state}\n`);
      }
    });

  users
    .command('disable')
    .description('disable an account; its sessions end at once')
    .argument('<login>', 'login name', checkLogin)
    .action(async (login: string) => {
      await withContext(logLevel(), (deps) =>
        deps.db.withTransaction(async (tx) => {
          if (!(await disableUser(tx, login))) throw new UserError(`no account "${login}"; see \`ddcn users list\``);
          await audit(tx, { at: deps.now(), login: operator(), action: 'users', object: `disable ${login}`, result: 'ok', ip: null });
        }),
      );
      process.stderr.write(`account ${login} disabled; its sessions have ended\n`);
    });

  users
    .command('reset-password')
    .description('set a new password (generated and printed unless --password-stdin); ends the sessions and lifts a lock-out')
    .argument('<login>', 'login name', checkLogin)
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (login: string, o: { passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? await readPasswordStdin() : generatePassword();
      const passwordHash = await hashPassword(password);
      const set = await withContext(logLevel(), (deps) =>
        deps.db.withTransaction(async (tx) => {
          const done = await setPassword(tx, login, passwordHash, deps.now());
          if (!done) throw new UserError(`no account "${login}"; see \`ddcn users list\``);
          await audit(tx, { at: deps.now(), login: operator(), action: 'users', object: `reset-password ${login}`, result: 'ok', ip: null });
          return done;
        }),
      );
      if (!o.passwordStdin) process.stdout.write(`${password}\n`);
      process.stderr.write(
        `password of ${login} reset; its sessions have ended` +
          (set.disabled ? `. The account is still disabled: \`ddcn users enable ${login}\` lets it sign in\n` : '\n'),
      );
    });

  users
    .command('enable')
    .description('enable a disabled account again (with the password it had; a lock-out is lifted too)')
    .argument('<login>', 'login name', checkLogin)
    .action(async (login: string) => {
      const was = await withContext(logLevel(), (deps) =>
        deps.db.withTransaction(async (tx) => {
          const before = await findUser(tx, login, true);
          if (!before) throw new UserError(`no account "${login}"; see \`ddcn users list\``);
          await enableUser(tx, login);
          await audit(tx, { at: deps.now(), login: operator(), action: 'users', object: `enable ${login}`, result: 'ok', ip: null });
          return before.disabled ? 'disabled' : before.lockedUntil && before.lockedUntil > deps.now() ? 'locked' : 'active';
        }),
      );
      const signsIn = `it signs in with its password (\`ddcn users reset-password ${login}\` gives it a new one)`;
      if (was === 'disabled') process.stderr.write(`account ${login} enabled; ${signsIn}\n`);
      else if (was === 'locked') process.stderr.write(`account ${login} was not disabled, only locked out after failed sign-ins; the lock-out is lifted: ${signsIn}\n`);
      else process.stderr.write(`account ${login} is active already (neither disabled nor locked out): nothing to enable; ${signsIn}\n`);
    });
}
