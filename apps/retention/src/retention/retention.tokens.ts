import { RetentionSettings } from '@memory/lifecycle';
import { SummarizationSettings } from '@memory/summarization';
import { WebhookSettings } from '../webhooks/webhook.settings';

export const RETENTION_SETTINGS = Symbol('RETENTION_SETTINGS');

/** Everything the retention service reads from its environment. */
export interface RetentionServiceSettings {
  retention: RetentionSettings;
  /** Restore re-summarizes a conversation the way the summarizer would. */
  summarization: SummarizationSettings;
  /** How webhook deliveries are sent. */
  webhooks: WebhookSettings;
}
