import { signWebhook, verifyWebhook } from './webhooks';

describe('webhook signatures', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const body = '{"id":"memory.summaries.v1:0:7","type":"summary.updated"}';
  const now = 1_800_000_000_000;
  const headers = (
    timestamp: number,
    signature = signWebhook(secret, 'evt-1', timestamp, body),
  ) => ({
    'webhook-id': 'evt-1',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });

  it('accepts a delivery signed with the secret, within the tolerance', () => {
    expect(verifyWebhook(secret, headers(now / 1000), body, { now })).toEqual({ ok: true });
    // Several signatures (a secret being rotated): one matching is enough.
    const both = `v1,bm90LXRoaXM= ${signWebhook(secret, 'evt-1', now / 1000, body)}`;
    expect(verifyWebhook(secret, headers(now / 1000, both), body, { now }).ok).toBe(true);
  });

  it('refuses a changed body, another secret, an old timestamp and missing headers', () => {
    const at = now / 1000;
    expect(verifyWebhook(secret, headers(at), `${body} `, { now }).ok).toBe(false);
    expect(verifyWebhook('whsec_b3RoZXI=', headers(at), body, { now }).ok).toBe(false);
    expect(verifyWebhook(secret, headers(at - 301), body, { now })).toEqual({
      ok: false,
      reason: 'the timestamp is too far from now',
    });
    expect(verifyWebhook(secret, {}, body, { now }).ok).toBe(false);
  });
});
