import { ConfigError, EnvReader } from '@memory/config';
import {
  DEFAULT_KEEP_POLICY,
  isKept,
  keepPolicyFor,
  keptTier,
  readKeepSettings,
} from './keep-policy';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const settings = readKeepSettings(reader);
  return { settings, assert: () => reader.assertValid() };
}

describe(readKeepSettings.name, () => {
  it('keeps pinned conversations and those of importance 0.8 or more, at full, by default', () => {
    const { settings, assert } = read({});
    assert();
    expect(settings).toEqual({ policy: { importance: 0.8, tier: 'full' }, tenantPolicies: {} });
  });

  it('takes a policy and per-tenant overrides', () => {
    const { settings, assert } = read({
      KEEP_IMPORTANCE: '0.5',
      KEEP_TIER: 'key_points',
      KEEP_TENANT_POLICIES: '{"acme": {"importance": 1}, "beta": {"tier": "brief"}}',
    });
    assert();
    expect(keepPolicyFor(settings, 'acme')).toEqual({ importance: 1, tier: 'key_points' });
    expect(keepPolicyFor(settings, 'beta')).toEqual({ importance: 0.5, tier: 'brief' });
    expect(keepPolicyFor(settings, 'other')).toEqual({ importance: 0.5, tier: 'key_points' });
  });

  it.each([
    ['KEEP_IMPORTANCE', '1.5'],
    ['KEEP_IMPORTANCE', '-0.1'],
    ['KEEP_IMPORTANCE', 'high'],
    ['KEEP_TIER', 'archived'],
    ['KEEP_TENANT_POLICIES', '{"acme": {"importance": 2}}'],
    ['KEEP_TENANT_POLICIES', '{"acme": {"tier": "cold"}}'],
    ['KEEP_TENANT_POLICIES', '{"acme": {"pinnedOnly": true}}'],
    ['KEEP_TENANT_POLICIES', 'not json'],
  ])('stops on %s=%s, naming the variable', (name, value) => {
    const { assert } = read({ [name]: value });
    expect(assert).toThrow(ConfigError);
    expect(assert).toThrow(name);
  });
});

describe(isKept.name, () => {
  it('keeps a pinned conversation whatever its importance, and one at or above the bar', () => {
    const policy = { importance: 0.8, tier: 'full' } as const;
    expect(isKept(policy, 0, true)).toBe(true);
    expect(isKept(policy, 0.8, false)).toBe(true);
    expect(isKept(policy, 0.79, false)).toBe(false);
    expect(isKept(policy, Number.NaN, false)).toBe(false);
    expect(isKept({ ...policy, importance: 1 }, 0.99, false)).toBe(false);
  });
});

describe(keptTier.name, () => {
  it('holds a kept conversation at the keep tier and leaves the others as due', () => {
    expect(keptTier('metadata', DEFAULT_KEEP_POLICY, 0, true)).toBe('full');
    expect(keptTier('metadata', { importance: 0.8, tier: 'key_points' }, 0.9, false)).toBe(
      'key_points',
    );
    // Warmer than the keep tier stays as due.
    expect(keptTier('key_points', { importance: 0.8, tier: 'brief' }, 0, true)).toBe('key_points');
    expect(keptTier('metadata', DEFAULT_KEEP_POLICY, 0.2, false)).toBe('metadata');
  });
});
