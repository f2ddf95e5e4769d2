import { ChatRole, SummaryBackendName, SummaryCost, SummarySections } from '@memory/contracts';

/** One stored message, as a backend sees it. */
export interface SummaryInputMessage {
  seq: number;
  role: ChatRole;
  userId: string;
  content: string;
  /** ISO 8601, as the chat product sent it. */
  createdAt: string;
  /**
   * Set on the parts of a message too long for one fold (1-based `index` of `count`): each part
   * carries its own slice of `content`, and the message counts as folded with its last part.
   */
  part?: { index: number; count: number };
}

/**
 * The state a fold starts from: the previous summary, plus whatever bounded, JSON-serializable
 * working state the backend that made it keeps between folds (`memo`, stored alongside the
 * summary; a backend ignores a memo it did not make).
 */
export interface SummaryDraft {
  sections: SummarySections;
  memo?: unknown;
  /** Messages folded so far (so backends can weigh new evidence against old). */
  messageCount: number;
}

export interface FoldOptions {
  /** Upper bound on the rendered summary text (`renderSummaryText(sections)`), in characters. */
  maxSummaryChars: number;
}

export interface FoldResult {
  sections: SummarySections;
  memo?: unknown;
  backend: SummaryBackendName;
  cost: SummaryCost;
  /** Retried calls this fold needed (LLM backends). */
  retries: number;
}

/**
 * A summarizer: folds new messages into the previous summary. Implementations must cost in
 * proportion to `messages` plus the bounded previous state, never to the whole history.
 */
export interface SummarizerBackend {
  readonly name: SummaryBackendName;
  fold(
    previous: SummaryDraft | null,
    messages: readonly SummaryInputMessage[],
    options: FoldOptions,
  ): Promise<FoldResult>;
}

/** The LLM could not be used (down, rate-limited past the retries, timed out): fall back. */
export class LlmUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason: 'rate_limited' | 'server_error' | 'timeout' | 'network' | 'circuit_open',
  ) {
    super(message);
    this.name = 'LlmUnavailableError';
  }
}

/** The LLM answered, but not with a usable summary (after the retries). */
export class LlmOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlmOutputError';
  }
}
