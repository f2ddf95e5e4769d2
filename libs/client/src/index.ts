export { MemoryApiError, MemoryNetworkError } from './errors';
export type { RequestOptions } from './http';
export { CHAT_MESSAGES_TOPIC, chatMessageRecord } from './kafka';
export type { ChatMessageRecord } from './kafka';
export {
  INGEST_BATCH,
  INGEST_BATCH_BYTES,
  LOCAL_URLS,
  MemoryAdmin,
  MemoryClient,
} from './memory-client';
export type { MemoryClientOptions, ServiceName } from './memory-client';
export type * from './types';
export { signWebhook, verifyWebhook, WEBHOOK_HEADERS } from './webhooks';
export type { WebhookCheck } from './webhooks';
