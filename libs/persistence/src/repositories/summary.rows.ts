// The rows and inputs of `conversation_summaries` as its owner (SummaryRepository) takes and
// returns them.

/** One row of `conversation_summaries` as Postgres returns it (JSON columns untyped here). */
export interface SummaryRecordRow {
  tenant_id: string;
  conversation_id: string;
  user_id: string;
  version: number;
  through_seq: string;
  seen_seq: string;
  tier: string;
  text: string;
  sections: unknown;
  full_sections: unknown;
  memo: unknown;
  backend: string;
  llm_pending: boolean;
  llm_base: unknown;
  last_update: unknown;
  input_tokens: string;
  output_tokens: string;
  input_chars: string;
  output_chars: string;
  duration_ms: number;
  published_version: number;
  first_message_at: Date | null;
  last_message_at: Date | null;
  last_received_at: Date;
  updated_at: Date;
}

/** A conversation's key and the version of its summary. */
export interface SummaryVersionKeyRow {
  tenant_id: string;
  conversation_id: string;
  version: number;
}

/** A conversation seen in a batch, as `recordSeen` takes it. */
export interface SeenInput {
  tenantId: string;
  conversationId: string;
  userId: string;
  seenSeq: number;
  firstMessageAt: Date;
  lastMessageAt: Date;
}

/** The columns a fold writes (JSON columns already serialized, or null). */
export interface FoldWrite {
  version: number;
  throughSeq: number;
  text: string;
  sections: string;
  memo: string | null;
  backend: string;
  llmPending: boolean;
  llmBase: string | null;
  lastUpdate: string;
  totals: {
    inputTokens: number;
    outputTokens: number;
    inputChars: number;
    outputChars: number;
    durationMs: number;
  };
}

/** A conversation a compression pass looks at. */
export interface TierCandidateRow {
  tenant_id: string;
  conversation_id: string;
  tier: string;
  last_message_at: Date;
  importance: number;
  pinned: boolean;
}

/** What importance is computed from, per summarized conversation. */
export interface ImportanceFactsRow {
  tenant_id: string;
  conversation_id: string;
  pinned: boolean;
  message_count: number;
  stored: number;
  speaker_changes: number;
  decisions: number;
  action_items: number;
  entities: number;
  recent_reads: number;
  previous: unknown;
  /** The stored score (0 until first computed, when `previous` is null). */
  score_before: number;
}

/** One of a user's summaries, as a profile is built from it. */
export interface ProfileInputRow {
  conversation_id: string;
  version: number;
  sections: unknown;
  full_sections: unknown;
  last_message_at: Date | null;
}
