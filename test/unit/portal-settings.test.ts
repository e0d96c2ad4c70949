// `ddcn serve` reads its settings from DDCN_PORTAL_* variables: the defaults the README lists, each variable
// taking effect, and a wrong value refused at start with the variable named rather than a portal that misbehaves.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { DEFAULT_PORTAL_SETTINGS, portalSettings } from '../../src/portal/settings.js';

describe('portal settings', () => {
  it('are the README defaults when nothing is set', () => {
    expect(portalSettings({})).toEqual(DEFAULT_PORTAL_SETTINGS);
    expect(DEFAULT_PORTAL_SETTINGS).toMatchObject({ idleMinutes: 30, lockoutFailures: 5, lockoutMinutes: 15, loginsPerMinute: 20, maxUploadRows: 5000, dbConnections: 10 });
    expect(DEFAULT_PORTAL_SETTINGS.maxUploadBytes).toBe(5 * 1024 * 1024);
  });

  it('take each variable', () => {
    const s = portalSettings({
      DDCN_PORTAL_SECURE_COOKIES: '1', DDCN_PORTAL_TRUST_PROXY: 'true', DDCN_PORTAL_IDLE_MINUTES: '10', DDCN_PORTAL_LOCKOUT_FAILURES: '3',
      DDCN_PORTAL_LOCKOUT_MINUTES: '60', DDCN_PORTAL_LOGINS_PER_MINUTE: '5', DDCN_PORTAL_MAX_UPLOAD_MB: '2', DDCN_PORTAL_MAX_UPLOAD_ROWS: '100',
      DDCN_PORTAL_DB_CONNECTIONS: '40',
    });
    expect(s).toEqual({
      secureCookies: true, trustProxy: 1, idleMinutes: 10, lockoutFailures: 3, lockoutMinutes: 60, loginsPerMinute: 5,
      maxUploadBytes: 2 * 1024 * 1024, maxUploadRows: 100, dbConnections: 40,
    });
  });

  it('count the proxies in front: true is one (as before), false none, or a number', () => {
    const hops = (v: string) => portalSettings({ DDCN_PORTAL_TRUST_PROXY: v }).trustProxy;
    expect(['true', 'false', '0', '1', '2'].map(hops)).toEqual([1, 0, 0, 1, 2]);
    expect(() => hops('yes')).toThrow(/DDCN_PORTAL_TRUST_PROXY/);
    expect(() => hops('-1')).toThrow(/DDCN_PORTAL_TRUST_PROXY/);
  });

  it('refuse a wrong value, naming the variable', () => {
    expect(() => portalSettings({ DDCN_PORTAL_DB_CONNECTIONS: '1' })).toThrow(UsageError);
    expect(() => portalSettings({ DDCN_PORTAL_DB_CONNECTIONS: 'many' })).toThrow(/DDCN_PORTAL_DB_CONNECTIONS/);
    expect(() => portalSettings({ DDCN_PORTAL_SECURE_COOKIES: 'yes' })).toThrow(/DDCN_PORTAL_SECURE_COOKIES/);
  });
});

describe('a refused portal setting', () => {
  const message = (env: Record<string, string>) => {
    try {
      portalSettings(env);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('not refused');
  };

  it('says what the variable takes and what it was given, not the validator’s words', () => {
    expect(message({ DDCN_PORTAL_IDLE_MINUTES: 'abc' })).toBe(
      'DDCN_PORTAL_IDLE_MINUTES must be a whole number of minutes from 1 to 1440, got "abc" (README, Configuration)',
    );
    expect(message({ DDCN_PORTAL_MAX_UPLOAD_MB: '1.5' })).toMatch(/^DDCN_PORTAL_MAX_UPLOAD_MB must be a whole number of MB from 1 to 100, got "1.5"/);
    expect(message({ DDCN_PORTAL_DB_CONNECTIONS: '1' })).toMatch(/from 2 to 200, got "1"/);
    expect(message({ DDCN_PORTAL_TRUST_PROXY: 'abc' })).toMatch(/^DDCN_PORTAL_TRUST_PROXY must be the number of your own proxies in front of the portal, 0 to 9/);
    expect(message({ DDCN_PORTAL_SECURE_COOKIES: 'yes' })).toMatch(/^DDCN_PORTAL_SECURE_COOKIES must be 1 .* or 0, got "yes"/);
    for (const m of [message({ DDCN_PORTAL_IDLE_MINUTES: 'abc' }), message({ DDCN_PORTAL_TRUST_PROXY: 'abc' })]) {
      expect(m).not.toMatch(/Invalid input|expected|received/);
    }
  });

  it('names every variable refused, each once', () => {
    const m = message({ DDCN_PORTAL_IDLE_MINUTES: '0', DDCN_PORTAL_LOCKOUT_MINUTES: 'x' });
    expect(m.match(/DDCN_PORTAL_IDLE_MINUTES/g)).toHaveLength(1);
    expect(m).toMatch(/DDCN_PORTAL_LOCKOUT_MINUTES must be a whole number of minutes from 1 to 1440, got "x"/);
  });
});
