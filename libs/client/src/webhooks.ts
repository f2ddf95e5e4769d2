import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, in the Standard Webhooks scheme: the secret is `whsec_` and base64; each
 * delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
 * (`v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`).
 */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** The `webhook-signature` value of a delivery. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

export type WebhookCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery received by a webhook endpoint: the signature over the raw body (as
 * received, before parsing), and a timestamp within `toleranceSeconds` of now (against
 * replays). Answer 2xx only after it passes; deliveries are at least once, so dedupe by
 * `webhook-id`.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): WebhookCheck {
  const header = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header(WEBHOOK_HEADERS.id);
  const timestamp = Number(header(WEBHOOK_HEADERS.timestamp));
  const signatures = header(WEBHOOK_HEADERS.signature);
  if (!id || !signatures || !Number.isInteger(timestamp))
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds)
    return { ok: false, reason: 'the timestamp is too far from now' };
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body));
  const matches = signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true } : { ok: false, reason: 'the signature does not match' };
}
