import { ConfigError, EnvReader } from '@memory/config';
import { isAbsolute, resolve } from 'node:path';
import {
  earliestArchiveDays,
  earliestEraseDays,
  readRetentionSettings,
  RetentionSettings,
  retentionPolicyFor,
} from './retention.settings';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const settings = readRetentionSettings(reader);
  return { settings, assert: () => reader.assertValid() };
}

/** The variables named by the ConfigError of `env`; empty when it is valid. */
function badVariables(env: Record<string, string>): string[] {
  try {
    read(env).assert();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) expect(error.message).toContain(problem.variable);
      return error.problems.map((problem) => problem.variable);
    }
    throw error;
  }
  return [];
}

function valid(env: Record<string, string>): RetentionSettings {
  const { settings, assert } = read(env);
  assert();
  return settings;
}

describe(readRetentionSettings.name, () => {
  it('defaults to archiving after 90 days, keeping the last 20 messages, never erasing', () => {
    const settings = valid({});
    expect(settings).toEqual({
      archiveRoot: resolve('data/archive'),
      policy: { archiveAfterDays: 90, keepLastMessages: 20 },
      tenantPolicies: {},
      keep: { policy: { importance: 0.8, tier: 'full' }, tenantPolicies: {} },
      restoreHoldDays: 30,
      intervalMs: 3_600_000,
      batchSize: 50,
      pauseAt: 'none',
    });
    expect(isAbsolute(settings.archiveRoot)).toBe(true);
    expect(settings.policy).not.toHaveProperty('eraseAfterDays');
  });

  it('takes the policy, the archive root and the restore hold', () => {
    const settings = valid({
      RETENTION_ARCHIVE_AFTER_DAYS: '30',
      RETENTION_KEEP_LAST_MESSAGES: '20',
      RETENTION_ERASE_AFTER_DAYS: '365',
      RETENTION_ARCHIVE_ROOT: 'tmp/archives',
      RETENTION_RESTORE_HOLD_DAYS: '7',
      RETENTION_PAUSE_AT: 'archive-written',
    });
    expect(settings.policy).toEqual({
      archiveAfterDays: 30,
      keepLastMessages: 20,
      eraseAfterDays: 365,
    });
    expect(settings.archiveRoot).toBe(resolve('tmp/archives'));
    expect(isAbsolute(settings.archiveRoot)).toBe(true);
    expect(settings.restoreHoldDays).toBe(7);
    expect(settings.pauseAt).toBe('archive-written');
  });

  it('reads an erase after days of 0 as never', () => {
    const settings = valid({ RETENTION_ERASE_AFTER_DAYS: '0' });
    expect(settings.policy.eraseAfterDays).toBeUndefined();
    expect(settings.policy).not.toHaveProperty('eraseAfterDays');
    expect(earliestEraseDays(settings)).toBeUndefined();
  });

  it('rejects erasing no later than archiving, naming RETENTION_ERASE_AFTER_DAYS', () => {
    expect(badVariables({ RETENTION_ERASE_AFTER_DAYS: '90' })).toEqual([
      'RETENTION_ERASE_AFTER_DAYS',
    ]);
    expect(badVariables({ RETENTION_ERASE_AFTER_DAYS: '30' })).toEqual([
      'RETENTION_ERASE_AFTER_DAYS',
    ]);
    expect(
      badVariables({ RETENTION_ARCHIVE_AFTER_DAYS: '10', RETENTION_ERASE_AFTER_DAYS: '10' }),
    ).toEqual(['RETENTION_ERASE_AFTER_DAYS']);
    expect(badVariables({ RETENTION_ERASE_AFTER_DAYS: '91' })).toEqual([]);
    expect(badVariables({ RETENTION_ERASE_AFTER_DAYS: '-1' })).toEqual([
      'RETENTION_ERASE_AFTER_DAYS',
    ]);
  });

  it('takes per-tenant policies as a JSON object', () => {
    const settings = valid({
      RETENTION_TENANT_POLICIES:
        '{"acme": {"archiveAfterDays": 7, "eraseAfterDays": 30}, "globex": {"keepLastMessages": 5}}',
    });
    expect(settings.tenantPolicies).toEqual({
      acme: { archiveAfterDays: 7, eraseAfterDays: 30 },
      globex: { keepLastMessages: 5 },
    });
  });

  it('rejects bad per-tenant policies, naming RETENTION_TENANT_POLICIES', () => {
    for (const policies of [
      'not json',
      '{"acme": {"archiveAfterDays": 7',
      '[1, 2]',
      '{"acme": {"archiveDays": 7}}',
      '{"acme": {"archiveAfterDays": 7, "unknown": true}}',
      '{"acme": {"archiveAfterDays": 0}}',
      '{"acme": {"archiveAfterDays": 1.5}}',
      '{"acme": {"keepLastMessages": -1}}',
      '{"acme": {"archiveAfterDays": "7"}}',
      '{"": {"archiveAfterDays": 7}}',
      // Erasing no later than archiving, against the tenant's own archive days...
      '{"acme": {"archiveAfterDays": 30, "eraseAfterDays": 30}}',
      '{"acme": {"archiveAfterDays": 30, "eraseAfterDays": 10}}',
      // ...or against the default ones.
      '{"acme": {"eraseAfterDays": 90}}',
    ]) {
      expect({ policies, bad: badVariables({ RETENTION_TENANT_POLICIES: policies }) }).toEqual({
        policies,
        bad: ['RETENTION_TENANT_POLICIES'],
      });
    }
  });

  it('checks a tenant policy against the default erase days it inherits', () => {
    // The default erases after 120 days: a tenant archiving after 150 would erase first.
    expect(
      badVariables({
        RETENTION_ERASE_AFTER_DAYS: '120',
        RETENTION_TENANT_POLICIES: '{"acme": {"archiveAfterDays": 150}}',
      }),
    ).toEqual(['RETENTION_TENANT_POLICIES']);
    expect(
      badVariables({
        RETENTION_ERASE_AFTER_DAYS: '120',
        RETENTION_TENANT_POLICIES: '{"acme": {"archiveAfterDays": 150, "eraseAfterDays": 200}}',
      }),
    ).toEqual([]);
  });

  it('rejects an unknown pause point, naming RETENTION_PAUSE_AT', () => {
    expect(badVariables({ RETENTION_PAUSE_AT: 'somewhere' })).toEqual(['RETENTION_PAUSE_AT']);
    expect(badVariables({ RETENTION_PAUSE_AT: 'rows-deleted' })).toEqual([]);
  });

  it('names every bad variable at once', () => {
    expect(
      badVariables({
        RETENTION_ERASE_AFTER_DAYS: '5',
        RETENTION_TENANT_POLICIES: 'not json',
        RETENTION_PAUSE_AT: 'later',
      }).sort(),
    ).toEqual(['RETENTION_ERASE_AFTER_DAYS', 'RETENTION_PAUSE_AT', 'RETENTION_TENANT_POLICIES']);
  });
});

describe(retentionPolicyFor.name, () => {
  it("merges a tenant's overrides over the default policy", () => {
    const settings = valid({
      RETENTION_KEEP_LAST_MESSAGES: '10',
      RETENTION_ERASE_AFTER_DAYS: '400',
      RETENTION_TENANT_POLICIES:
        '{"acme": {"archiveAfterDays": 7, "eraseAfterDays": 30}, "globex": {"keepLastMessages": 0}}',
    });
    expect(retentionPolicyFor(settings, 'acme')).toEqual({
      archiveAfterDays: 7,
      keepLastMessages: 10,
      eraseAfterDays: 30,
    });
    expect(retentionPolicyFor(settings, 'globex')).toEqual({
      archiveAfterDays: 90,
      keepLastMessages: 0,
      eraseAfterDays: 400,
    });
    expect(retentionPolicyFor(settings, 'other')).toEqual(settings.policy);
  });
});

describe('earliest days', () => {
  it('are the default ones without tenant policies', () => {
    const settings = valid({ RETENTION_ERASE_AFTER_DAYS: '365' });
    expect(earliestArchiveDays(settings)).toBe(90);
    expect(earliestEraseDays(settings)).toBe(365);
    expect(earliestEraseDays(valid({}))).toBeUndefined();
  });

  it('are the fewest over the default and every tenant', () => {
    const settings = valid({
      RETENTION_ARCHIVE_AFTER_DAYS: '60',
      RETENTION_ERASE_AFTER_DAYS: '365',
      RETENTION_TENANT_POLICIES:
        '{"acme": {"archiveAfterDays": 7, "eraseAfterDays": 30}, "globex": {"archiveAfterDays": 120}, "initech": {"keepLastMessages": 3}}',
    });
    expect(earliestArchiveDays(settings)).toBe(7);
    expect(earliestEraseDays(settings)).toBe(30);
  });

  it('ignore tenants that archive later than the default', () => {
    const settings = valid({
      RETENTION_TENANT_POLICIES: '{"slow": {"archiveAfterDays": 200}}',
    });
    expect(earliestArchiveDays(settings)).toBe(90);
  });

  it('erase only for the tenants that say so when the default never erases', () => {
    const settings = valid({
      RETENTION_TENANT_POLICIES:
        '{"acme": {"eraseAfterDays": 180}, "globex": {"archiveAfterDays": 10, "eraseAfterDays": 100}}',
    });
    expect(earliestEraseDays(settings)).toBe(100);
    expect(retentionPolicyFor(settings, 'other').eraseAfterDays).toBeUndefined();
  });
});
