// Environment settings read once at start-up (docs/interface.md, "Settings (environment)"): DDCN_PLAN_YEAR dates the
// milestones of Mẫu 03, so a value that cannot be a campaign's year is refused rather than dating them all wrong.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { UsageError } from '../../src/errors.js';

describe('settings', () => {
  it('take DDCN_PLAN_YEAR as a year, and leave it unset when empty', () => {
    expect(loadConfig({}).planYear).toBeUndefined();
    expect(loadConfig({ DDCN_PLAN_YEAR: '' }).planYear).toBeUndefined();
    expect(loadConfig({ DDCN_PLAN_YEAR: '2026' }).planYear).toBe(2026);
    expect(loadConfig({ DDCN_PLAN_YEAR: ' 2022 ' }).planYear).toBe(2022);
  });

  it('refuse a DDCN_PLAN_YEAR that is no year of the campaign, saying what to write', () => {
    for (const v of ['226', '2021', '2101', '2026.5', 'năm nay']) {
      expect(() => loadConfig({ DDCN_PLAN_YEAR: v }), v).toThrow(UsageError);
      expect(() => loadConfig({ DDCN_PLAN_YEAR: v }), v).toThrow(/DDCN_PLAN_YEAR must be the year of the milestones of Mẫu 03 .* a year from 2022 to 2100, e\.g\. 2026/);
    }
  });

  it('name the variable once, not "DDCN_PLAN_YEAR: DDCN_PLAN_YEAR must …", and say it once per variable', () => {
    for (const v of ['2101', 'năm nay']) {
      let message = '';
      try {
        loadConfig({ DDCN_PLAN_YEAR: v });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, v).toMatch(/^DDCN_PLAN_YEAR must be/);
      expect(message.match(/DDCN_PLAN_YEAR/g), v).toHaveLength(1);
    }
    expect(() => loadConfig({ DDCN_LOG_LEVEL: 'verbose' })).toThrow(/^DDCN_LOG_LEVEL: /);
  });

  it('refuse a DATABASE_URL of another scheme as a setting (exit 2), as one that is no URL, without echoing it', () => {
    for (const v of ['mysql://ddcn:pw@db/ddcn', 'http://db.internal:5432/ddcn', 'db.internal:5432/ddcn']) {
      expect(() => loadConfig({ DATABASE_URL: v }), v).toThrow(UsageError);
      expect(() => loadConfig({ DATABASE_URL: v }), v).toThrow(/^DATABASE_URL must be a postgres:\/\/ URL \(postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE\)$/);
    }
    // A Unix socket in node-postgres's form, as used before the scheme was checked: still taken.
    for (const v of ['postgres://ddcn:pw@db/ddcn', 'postgresql://db/ddcn', 'POSTGRES://db/ddcn', 'socket:/var/run/postgresql?db=ddcn']) expect(loadConfig({ DATABASE_URL: v }).databaseUrl, v).toBe(v);
  });
});
