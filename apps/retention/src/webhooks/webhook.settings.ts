import { EnvReader } from '@memory/config';

export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');

/** How the retention service sends webhook deliveries (`WEBHOOK_*`). */
export interface WebhookSettings {
  /** How often due deliveries are looked for. */
  pollMs: number;
  /** Longest wait for an endpoint's answer. */
  timeoutMs: number;
  /** Attempts before a delivery is `failed` (replayable). */
  maxAttempts: number;
  /** Wait after the first failed attempt; doubled per attempt, at most 10 minutes. */
  backoffMs: number;
}

export function readWebhookSettings(read: EnvReader): WebhookSettings {
  return {
    pollMs: read.int('WEBHOOK_POLL_MS', 500, 50, 60_000),
    timeoutMs: read.int('WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
    maxAttempts: read.int('WEBHOOK_MAX_ATTEMPTS', 10, 1, 100),
    backoffMs: read.int('WEBHOOK_BACKOFF_MS', 1_000, 10, 600_000),
  };
}
