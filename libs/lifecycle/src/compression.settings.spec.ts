import { ConfigError, EnvReader } from '@memory/config';
import { earliestThresholdDays, policyFor, readCompressionSettings } from './compression.settings';
import { DEFAULT_KEEP_POLICY } from './keep-policy';
import { DEFAULT_TIER_POLICY } from './tier-policy';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const settings = readCompressionSettings(reader);
  return { settings, assert: () => reader.assertValid() };
}

describe(readCompressionSettings.name, () => {
  it('defaults to the design tiers, hourly passes of 100', () => {
    const { settings, assert } = read({});
    assert();
    expect(settings).toEqual({
      policy: DEFAULT_TIER_POLICY,
      tenantPolicies: {},
      keep: { policy: DEFAULT_KEEP_POLICY, tenantPolicies: {} },
      intervalMs: 3_600_000,
      batchSize: 100,
    });
  });

  it('takes a policy and per-tenant overrides', () => {
    const { settings, assert } = read({
      TIER_KEY_POINTS_AFTER_DAYS: '14',
      TIER_IMPORTANCE_STRETCH_PERCENT: '50',
      COMPRESSOR_TENANT_POLICIES: '{"acme": {"keyPointsAfterDays": 2, "briefAfterDays": 20}}',
    });
    assert();
    expect(policyFor(settings, 'acme')).toEqual({
      keyPointsAfterDays: 2,
      briefAfterDays: 20,
      metadataAfterDays: 365,
      importanceStretch: 0.5,
    });
    expect(policyFor(settings, 'other').keyPointsAfterDays).toBe(14);
    expect(earliestThresholdDays(settings)).toBe(2);
  });

  it('names the variable of a bad value', () => {
    const bad = (env: Record<string, string>) => {
      try {
        read(env).assert();
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return '';
    };
    expect(bad({ TIER_BRIEF_AFTER_DAYS: '3' })).toContain('TIER_BRIEF_AFTER_DAYS');
    expect(bad({ COMPRESSOR_TENANT_POLICIES: '{"a": {"briefAfterDays": 400}}' })).toContain(
      'COMPRESSOR_TENANT_POLICIES',
    );
    expect(bad({ COMPRESSOR_TENANT_POLICIES: 'not json' })).toContain('COMPRESSOR_TENANT_POLICIES');
    expect(bad({ COMPRESSOR_INTERVAL_MS: '10' })).toContain('COMPRESSOR_INTERVAL_MS');
  });
});
