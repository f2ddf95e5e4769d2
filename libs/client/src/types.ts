// The HTTP API's request and response bodies, as the services define them with zod (their
// schemas live in the services and libs/contracts). This package carries them as plain types so
// it depends on nothing; test/client-types.spec.ts fails the typecheck when they drift apart.

export type ChatRole = 'user' | 'assistant' | 'system' | 'tool';
export type SummaryTier = 'full' | 'key_points' | 'brief' | 'metadata';
export type SearchMode = 'hybrid' | 'semantic' | 'keyword';

/** A chat.message.v1 as a product sends it; `tenantId` defaults to the API key's tenant. */
export interface ChatMessageInput {
  schema?: 'chat.message.v1';
  messageId: string;
  tenantId?: string;
  conversationId: string;
  userId: string;
  role: ChatRole;
  content: string;
  /** ISO 8601 date-time with offset. */
  createdAt: string;
  metadata?: Record<string, unknown>;
}

export interface IngestResult {
  accepted: number;
  messageIds: string[];
}

export interface SearchParams {
  query: string;
  mode?: SearchMode;
  userId?: string;
  tier?: SummaryTier;
  minImportance?: number;
  from?: string;
  to?: string;
  /** Read the dates the query names ("in June", "last week") and favour conversations from then; default true. */
  readDates?: boolean;
  k?: number;
  evidence?: number;
  cursor?: string;
}

/** A period of time a query named, as the service read it. */
export interface QueryPeriod {
  text: string;
  from: string;
  to: string;
  /** Named without a year: that month or day of every year. */
  everyYear: boolean;
}

export interface Evidence {
  seqFrom: number;
  seqTo: number;
  messageIds: string[];
  speakers: string[];
  at: string | null;
  text: string;
  highlights: string[];
  score: number;
  matchedBy: ('keyword' | 'semantic')[];
}

export interface SearchResult {
  conversationId: string;
  userId: string;
  tier: SummaryTier | null;
  score: number;
  matchedBy: ('keyword' | 'semantic' | 'period')[];
  snippet: string;
  highlights: Record<string, string[]>;
  summary: { context: string; keyPoints: string[] } | null;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
  messageCount: number | null;
  freshness: { throughSeq: number; summaryUpdatedAt: string; indexedAt: string } | null;
  version: number | null;
  evidenceSource: 'messages' | 'summary';
  evidence: Evidence[];
}

export interface SearchResponse {
  mode: SearchMode;
  /** The periods the query names, when it names any. */
  periods?: QueryPeriod[];
  results: SearchResult[];
  nextCursor?: string;
}

export interface ContextParams {
  query: string;
  /** 100..8000 tokens (o200k_base), default 1000. */
  tokenBudget?: number;
  /** The live conversation: its current summary comes first. */
  conversationId?: string;
  userId?: string;
  from?: string;
  to?: string;
  /** As in search: evidence from the periods the query names goes first; default true. */
  readDates?: boolean;
}

export interface ContextItem {
  kind: 'summary' | 'evidence' | 'profile';
  conversationId: string;
  seqFrom: number;
  seqTo: number;
  messageIds: string[];
  at: string | null;
  speakers: string[];
  text: string;
  tokens: number;
}

export interface ContextResponse {
  budget: number;
  tokens: number;
  items: ContextItem[];
  /** The rendered block, dates, speakers and a citation per item: ready for a prompt. */
  text: string;
}

export interface SummarySections {
  context: string;
  keyPoints: string[];
  decisions: string[];
  actionItems: string[];
  openQuestions: string[];
  entities: string[];
  dates: string[];
  numbers: string[];
  mood: string | null;
  lessons?: string[];
  /** Why each decision was taken, by decision. */
  rationales?: Record<string, string>;
}

/** A memory.summary.v1 record: the current summary of a conversation. */
export interface ConversationSummary {
  schema: string;
  tenantId: string;
  conversationId: string;
  userId: string;
  version: number;
  throughSeq: number;
  tier: SummaryTier;
  text: string;
  sections: SummarySections;
  stats: {
    messageCount: number;
    firstMessageAt: string | null;
    lastMessageAt: string | null;
    backend: string;
    /** True while an LLM is configured but this version was made locally; an LLM pass follows. */
    llmPending: boolean;
    /** The seq range folded by the update that made this version starts here. */
    fromSeq: number;
    cost: Record<string, number>;
    totalCost: Record<string, number>;
    updatedAt: string;
  };
}

export interface SummaryVersion {
  version: number;
  fromSeq: number;
  throughSeq: number;
  /** The fold that made it, or `compress`. */
  trigger: string;
  backend: string;
  tier: string | null;
  messageCount: number;
  cost: Record<string, number>;
  createdAt: string;
  /** The sections it held; null once past the kept history. */
  sections: SummarySections | null;
  /** What it added and removed per list section against the version before. */
  changes: {
    added: Record<string, string[] | undefined>;
    removed: Record<string, string[] | undefined>;
    context?: { from: string; to: string };
  } | null;
}

export interface SummaryHistoryPage {
  conversationId: string;
  items: SummaryVersion[];
  nextBefore: number | null;
}

export interface StoredMessage {
  messageId: string;
  /** Its place in the conversation, from 1, in the order ingest stored it. */
  seq: number;
  userId: string;
  /** One of ChatRole. */
  role: string;
  content: string;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  ingestedAt: string;
  /** Read from the conversation's verified archive, not Postgres. */
  archived: boolean;
}

export interface MessagePage {
  conversationId: string;
  items: StoredMessage[];
  /** Pass as `afterSeq` for the next page; null on the last page. */
  nextAfterSeq: number | null;
  /** The conversation's archive, when its raw messages were ever archived. */
  archive: {
    messageCount: number;
    firstSeq: number;
    lastSeq: number;
    archivedAt: string;
    /** Set while the archived messages are back in Postgres. */
    restoredAt: string | null;
    /** How to bring them back. */
    restore: string;
  } | null;
}

export interface MessagesParams {
  afterSeq?: number;
  /** 1..500, default 100. */
  limit?: number;
  archived?: 'include' | 'skip';
}

export interface ProfileItem {
  text: string;
  /** The conversations it came from. */
  conversations: string[];
}

export interface UserProfile {
  tenantId: string;
  userId: string;
  version: number;
  backend: string;
  builtAt: string;
  sections: {
    facts: ProfileItem[];
    preferences: ProfileItem[];
    decisions: ProfileItem[];
    openItems: ProfileItem[];
  };
  conversations: string[];
}

export interface RollupsParams {
  from?: string;
  to?: string;
  q?: string;
  limit?: number;
}

export interface UserRollups {
  userId: string;
  items: Record<string, unknown>[];
}

export interface PinResponse {
  conversationId: string;
  pinned: boolean;
}

/** What an admin operation reports (a compression or retention pass, restore, erasure). */
export type OperationReport = Record<string, unknown>;

/** What a restore put back (`POST /v1/conversations/{id}/restore`). */
export interface RestoreResult {
  relativePath: string;
  sha256: string;
  revision: number;
  messageCount: number;
  firstSeq: number;
  lastSeq: number;
  restoredMessages: number;
  /** The summary version made from the restored messages. */
  summaryVersion: number | null;
}

export interface ArchivesParams {
  userId?: string;
  after?: string;
  limit?: number;
}

export interface ArchiveList {
  items: Record<string, unknown>[];
  next: string | null;
}

/** One problem with a request, by field, as the services report it. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
  /** The message of a batch the error is about. */
  index?: number;
}

/** Who an API key is (`GET /v1/whoami`). */
export interface KeyIdentity {
  keyId: string;
  tenantId: string;
  /** `ingest`, `search`, `admin` (admin may do everything). */
  scopes: string[];
  /** Set for a credential bound to one end user: every call sees only that user's memory. */
  userId?: string;
}

export type WebhookEventType =
  | 'summary.updated'
  | 'tier.changed'
  | 'conversation.archived'
  | 'conversation.restored'
  | 'conversation.erased';

export interface Webhook {
  id: string;
  tenantId: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  createdAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: WebhookEventType;
  conversationId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}
