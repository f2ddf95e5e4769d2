import { RequestOptions, Transport } from './http';
import type {
  ArchiveList,
  ArchivesParams,
  ChatMessageInput,
  ContextParams,
  ContextResponse,
  ConversationSummary,
  IngestResult,
  KeyIdentity,
  MessagePage,
  MessagesParams,
  OperationReport,
  PinResponse,
  RestoreResult,
  RollupsParams,
  SearchParams,
  SearchResponse,
  SearchResult,
  StoredMessage,
  SummaryHistoryPage,
  UserProfile,
  UserRollups,
  Webhook,
  WebhookDelivery,
  WebhookEventType,
} from './types';

export type ServiceName = 'ingest' | 'search' | 'retention' | 'compressor';

/** Where each service listens when started by `npm start` on this host. */
export const LOCAL_URLS: Readonly<Record<ServiceName, string>> = {
  ingest: 'http://127.0.0.1:3001',
  compressor: 'http://127.0.0.1:3003',
  retention: 'http://127.0.0.1:3004',
  search: 'http://127.0.0.1:3005',
};

/** Messages per `POST /v1/messages` (the service takes at most 500, in at most 1 MiB). */
export const INGEST_BATCH = 200;
/** JSON bytes per `POST /v1/messages`, below the service's 1 MiB. */
export const INGEST_BATCH_BYTES = 900 * 1024;

export interface MemoryClientOptions {
  /** A key made with `npm run memory -- api-keys create`; its tenant scopes every call. */
  apiKey: string;
  /** One gateway in front of every service; `urls` overrides it per service. */
  baseUrl?: string;
  /** Each service's base URL; without `baseUrl`, the ones missing are {@link LOCAL_URLS}. */
  urls?: Partial<Record<ServiceName, string>>;
  /** Per attempt, in ms (default 30,000). */
  timeoutMs?: number;
  /** Retries on 429, 503 and network failures (default 3). */
  retries?: number;
  /** First backoff in ms when no Retry-After is given (default 250, doubling, at most 5,000). */
  backoffMs?: number;
  /** A 429 or 503 asking to wait longer than this (seconds) is thrown at once (default 30). */
  maxRetryAfterSeconds?: number;
  /** A fetch of your own (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

const USER_AGENT = 'conversation-memory-client/0.1';

/**
 * The HTTP API of conversation memory in one object: ingest, search, context, summaries,
 * messages, profiles, pins and (with an admin key) compression, retention, restore and erasure.
 * Errors are {@link MemoryApiError} (status, code, field errors) or {@link MemoryNetworkError};
 * every method takes `{signal, timeoutMs}` last.
 */
export class MemoryClient {
  private readonly transport: Transport;
  private readonly urls: Record<ServiceName, string>;
  /** Operations of the `admin` scope. */
  readonly admin: MemoryAdmin;

  constructor(options: MemoryClientOptions) {
    if (!options.apiKey) throw new Error('MemoryClient: apiKey is required');
    this.urls = serviceUrls(options);
    this.transport = new Transport({
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 250,
      maxBackoffMs: 5_000,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 30,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      userAgent: USER_AGENT,
    });
    this.admin = new MemoryAdmin(this.transport, this.urls);
  }

  /**
   * Sends messages through `POST /v1/messages` in batches of at most {@link INGEST_BATCH}
   * messages and {@link INGEST_BATCH_BYTES} of JSON (the service takes 500 and 1 MiB): each
   * batch is produced to chat.messages.v1 and acknowledged by Kafka before the next. A message
   * sent twice is stored once (by messageId). Throws on the first refused batch (its field
   * errors carry `index` within that batch); the batches before it were accepted.
   */
  async ingest(
    messages: ChatMessageInput | readonly ChatMessageInput[],
    options: RequestOptions = {},
  ): Promise<IngestResult> {
    const all = Array.isArray(messages) ? messages : [messages as ChatMessageInput];
    const result: IngestResult = { accepted: 0, messageIds: [] };
    for (const batch of batches(all.map(withSchema))) {
      const answer = await this.transport.request<IngestResult>(
        'POST',
        this.urls.ingest,
        'v1/messages',
        { ...options, body: { messages: batch } },
      );
      result.accepted += answer.accepted;
      result.messageIds.push(...answer.messageIds);
    }
    return result;
  }

  /** The tenant and scopes of the client's API key (401 `API_KEY_INVALID` when unknown). */
  whoami(options: RequestOptions = {}): Promise<KeyIdentity> {
    return this.transport.request('GET', this.urls.search, 'v1/whoami', options);
  }

  /** One page of conversations found by `POST /v1/search` (`nextCursor` for the next). */
  search(params: SearchParams, options: RequestOptions = {}): Promise<SearchResponse> {
    return this.transport.request('POST', this.urls.search, 'v1/search', {
      ...options,
      body: params,
    });
  }

  /** Every result of a search, page after page (at most `limit`, default 100). */
  async *searchAll(
    params: Omit<SearchParams, 'cursor'>,
    { limit = 100, ...options }: RequestOptions & { limit?: number } = {},
  ): AsyncGenerator<SearchResult> {
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await this.search({ ...params, ...(cursor ? { cursor } : {}) }, options);
      for (const result of page.results) {
        if (count >= limit) return;
        count += 1;
        yield result;
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && count < limit);
  }

  /** Memory as a prompt-ready block within a token budget (`POST /v1/context`). */
  context(params: ContextParams, options: RequestOptions = {}): Promise<ContextResponse> {
    return this.transport.request('POST', this.urls.search, 'v1/context', {
      ...options,
      body: params,
    });
  }

  /** The current summary of a conversation: at its tier, or the full sections it keeps. */
  summary(
    conversationId: string,
    { view, ...options }: RequestOptions & { view?: 'tier' | 'full' } = {},
  ): Promise<ConversationSummary> {
    return this.transport.request(
      'GET',
      this.urls.search,
      `v1/conversations/${segment(conversationId)}/summary`,
      { ...options, query: { view } },
    );
  }

  /** The summary's versions, newest first (`nextBefore` for older ones). */
  summaryVersions(
    conversationId: string,
    { before, limit, ...options }: RequestOptions & { before?: number; limit?: number } = {},
  ): Promise<SummaryHistoryPage> {
    return this.transport.request(
      'GET',
      this.urls.search,
      `v1/conversations/${segment(conversationId)}/summary/versions`,
      { ...options, query: { before, limit } },
    );
  }

  /** A page of a conversation's messages in seq order (archived ones read from the archive). */
  messages(
    conversationId: string,
    { afterSeq, limit, archived, ...options }: MessagesParams & RequestOptions = {},
  ): Promise<MessagePage> {
    return this.transport.request(
      'GET',
      this.urls.ingest,
      `v1/conversations/${segment(conversationId)}/messages`,
      { ...options, query: { afterSeq, limit, archived } },
    );
  }

  /** Every message of a conversation from `afterSeq` on, page after page. */
  async *allMessages(
    conversationId: string,
    params: MessagesParams & RequestOptions = {},
  ): AsyncGenerator<StoredMessage> {
    let afterSeq: number | null = params.afterSeq ?? 0;
    while (afterSeq !== null) {
      const page = await this.messages(conversationId, { ...params, afterSeq });
      yield* page.items;
      afterSeq = page.nextAfterSeq;
    }
  }

  /** What the user's conversations say about them (facts, preferences, decisions, open items). */
  profile(userId: string, options: RequestOptions = {}): Promise<UserProfile> {
    return this.transport.request(
      'GET',
      this.urls.search,
      `v1/users/${segment(userId)}/profile`,
      options,
    );
  }

  /** The user's monthly roll-ups, newest first. */
  rollups(
    userId: string,
    { from, to, q, limit, ...options }: RollupsParams & RequestOptions = {},
  ): Promise<UserRollups> {
    return this.transport.request('GET', this.urls.search, `v1/users/${segment(userId)}/rollups`, {
      ...options,
      query: { from, to, q, limit },
    });
  }

  /** Marks a conversation as one to keep (never compressed past the keep tier nor archived). */
  pin(conversationId: string, options: RequestOptions = {}): Promise<PinResponse> {
    return this.transport.request(
      'POST',
      this.urls.retention,
      `v1/conversations/${segment(conversationId)}/pin`,
      options,
    );
  }

  unpin(conversationId: string, options: RequestOptions = {}): Promise<PinResponse> {
    return this.transport.request(
      'DELETE',
      this.urls.retention,
      `v1/conversations/${segment(conversationId)}/pin`,
      options,
    );
  }
}

/** Compression, retention, archives, restore and erasure: an API key with the admin scope. */
export class MemoryAdmin {
  constructor(
    private readonly transport: Transport,
    private readonly urls: Record<ServiceName, string>,
  ) {}

  /** A compression pass over the tenant (`dryRun`: what would move, nothing moved). */
  compress({
    dryRun,
    ...options
  }: RequestOptions & { dryRun?: boolean } = {}): Promise<OperationReport> {
    return this.transport.request('POST', this.urls.compressor, 'v1/compress', {
      ...options,
      body: { dryRun: dryRun ?? false },
    });
  }

  /** A retention pass: archive, erase by age (`dryRun`: the decisions, nothing done). */
  retention({
    dryRun,
    ...options
  }: RequestOptions & { dryRun?: boolean } = {}): Promise<OperationReport> {
    return this.transport.request('POST', this.urls.retention, 'v1/retention/run', {
      ...options,
      body: { dryRun: dryRun ?? false },
    });
  }

  /** The tenant's archived conversations (or one user's), a page at a time. */
  archives({
    userId,
    after,
    limit,
    ...options
  }: ArchivesParams & RequestOptions = {}): Promise<ArchiveList> {
    return this.transport.request('GET', this.urls.retention, 'v1/archives', {
      ...options,
      query: { userId, after, limit },
    });
  }

  /** One conversation's archive record. */
  archive(conversationId: string, options: RequestOptions = {}): Promise<OperationReport> {
    return this.transport.request(
      'GET',
      this.urls.retention,
      `v1/conversations/${segment(conversationId)}/archive`,
      options,
    );
  }

  /** Puts an archived conversation's messages back into Postgres and re-summarizes it. */
  restore(conversationId: string, options: RequestOptions = {}): Promise<RestoreResult> {
    return this.transport.request(
      'POST',
      this.urls.retention,
      `v1/conversations/${segment(conversationId)}/restore`,
      options,
    );
  }

  /** Erases a conversation everywhere (messages, summaries, archive, index). */
  eraseConversation(
    conversationId: string,
    options: RequestOptions = {},
  ): Promise<OperationReport> {
    return this.transport.request(
      'DELETE',
      this.urls.retention,
      `v1/conversations/${segment(conversationId)}`,
      options,
    );
  }

  /** Registers a webhook; the answer carries its signing secret, shown this once. */
  createWebhook(
    webhook: { url: string; events?: WebhookEventType[]; description?: string },
    options: RequestOptions = {},
  ): Promise<Webhook & { secret: string }> {
    return this.transport.request('POST', this.urls.retention, 'v1/webhooks', {
      ...options,
      body: webhook,
    });
  }

  async webhooks(options: RequestOptions = {}): Promise<Webhook[]> {
    const answer = await this.transport.request<{ items: Webhook[] }>(
      'GET',
      this.urls.retention,
      'v1/webhooks',
      options,
    );
    return answer.items;
  }

  deleteWebhook(id: string, options: RequestOptions = {}): Promise<{ id: string; deleted: true }> {
    return this.transport.request(
      'DELETE',
      this.urls.retention,
      `v1/webhooks/${segment(id)}`,
      options,
    );
  }

  /** A webhook's deliveries, newest first (`status` filters). */
  async webhookDeliveries(
    id: string,
    {
      status,
      limit,
      ...options
    }: RequestOptions & { status?: WebhookDelivery['status']; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const answer = await this.transport.request<{ items: WebhookDelivery[] }>(
      'GET',
      this.urls.retention,
      `v1/webhooks/${segment(id)}/deliveries`,
      { ...options, query: { status, limit } },
    );
    return answer.items;
  }

  /** Sends deliveries again: those named, or every failed one of the webhook. */
  replayWebhook(
    id: string,
    deliveryIds: readonly string[] = [],
    options: RequestOptions = {},
  ): Promise<{ replayed: number }> {
    return this.transport.request(
      'POST',
      this.urls.retention,
      `v1/webhooks/${segment(id)}/replay`,
      {
        ...options,
        body: { deliveryIds },
      },
    );
  }

  /** Erases every conversation a user owns or wrote in. */
  eraseUser(userId: string, options: RequestOptions = {}): Promise<OperationReport> {
    return this.transport.request(
      'DELETE',
      this.urls.retention,
      `v1/users/${segment(userId)}`,
      options,
    );
  }
}

function serviceUrls(options: MemoryClientOptions): Record<ServiceName, string> {
  const names = Object.keys(LOCAL_URLS) as ServiceName[];
  const urls = {} as Record<ServiceName, string>;
  for (const name of names) {
    const url = options.urls?.[name] ?? options.baseUrl ?? LOCAL_URLS[name];
    try {
      new URL(url);
    } catch {
      throw new Error(`MemoryClient: the ${name} URL is not a URL: ${JSON.stringify(url)}`);
    }
    urls[name] = url;
  }
  return urls;
}

/** Consecutive runs of messages within the batch limits (a lone larger message goes alone). */
function batches(messages: readonly ChatMessageInput[]): ChatMessageInput[][] {
  const encoder = new TextEncoder();
  const out: ChatMessageInput[][] = [];
  let current: ChatMessageInput[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = encoder.encode(JSON.stringify(message)).length + 1;
    if (
      current.length > 0 &&
      (current.length >= INGEST_BATCH || bytes + size > INGEST_BATCH_BYTES)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function withSchema(message: ChatMessageInput): ChatMessageInput {
  return { schema: 'chat.message.v1', ...message };
}

function segment(id: string): string {
  if (id.length === 0) throw new Error('MemoryClient: an id must not be empty');
  return encodeURIComponent(id);
}
