import { backoffDelay } from '@memory/config';
import {
  ChatRole,
  SummarySections,
  SummarySectionsVersion,
  emptySections,
  sectionsAsVersion,
  zeroCost,
} from '@memory/contracts';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import {
  FoldOptions,
  FoldResult,
  LlmOutputError,
  LlmUnavailableError,
  SummarizerBackend,
  SummaryDraft,
  SummaryInputMessage,
} from '../summarizer-backend';
import { CircuitBreaker } from './circuit-breaker';
import { SummarizerClock, systemClock } from './clock';
import { FoldPrompt, buildFoldPrompt, estimateTokens } from './fold-prompt';
import { LlmRequestError } from './llm-request.error';
import { Semaphore } from './semaphore';
import { fitSections, normalizeSections, parseSummaryReply } from './summary-reply';
import { TokenBucket } from './token-bucket';

/** Roles left out of the prompt by default. */
export const DEFAULT_SKIPPED_ROLES: readonly ChatRole[] = ['system', 'tool'];

type UnavailableReason = Exclude<LlmUnavailableError['reason'], 'circuit_open'>;

/** How one call to the endpoint ended. `rejected`: a 4xx other than 408/429 (see LlmRequestError). */
export type LlmCallOutcome = 'ok' | UnavailableReason | 'malformed' | 'rejected';

/** Tokens one call used; `estimated` when the endpoint reported no usage (then chars / 4). */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
}

export interface OpenAiSummarizerOptions {
  /** Any OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1`; the SDK default otherwise. */
  baseUrl?: string;
  /** Many local endpoints need none; a placeholder is sent then. */
  apiKey?: string;
  model: string;
  /** Per attempt. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt, for unavailability and malformed output alike. Default 4. */
  maxRetries?: number;
  /** Backoff: exponential with full jitter, from `retryBaseMs` (500) up to `retryMaxMs` (20000). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Estimated prompt tokens allowed per minute; 0 (default) means unlimited. */
  tokensPerMinute?: number;
  /** Default 0; `null` leaves it out (for models that accept only their default). */
  temperature?: number | null;
  /** How long folds fail fast after one failed as unavailable. Default 30000. */
  circuitOpenMs?: number;
  onRetry?: (reason: LlmCallOutcome) => void;
  onCall?: (outcome: LlmCallOutcome, usage?: LlmUsage) => void;
  /**
   * Roles whose messages are left out of the prompt. Default `system` and `tool`: instructions
   * and tool output are not what the people said (the local backend skips them too).
   */
  skipRoles?: readonly ChatRole[];
  /** The sections' minor version to write (`1.0` while older readers remain). Default `1.1`. */
  sectionsVersion?: SummarySectionsVersion;
  /** For tests: a prepared client (its own retries should be 0). */
  client?: OpenAI;
  /** For tests: a clock whose waits can be observed. */
  clock?: SummarizerClock;
}

type Attempt =
  | { kind: 'ok'; sections: SummarySections; usage: LlmUsage; replyChars: number }
  | { kind: 'malformed'; detail: string; usage: LlmUsage; replyChars: number }
  | { kind: 'unavailable'; reason: UnavailableReason; detail: string; retryAfterMs?: number };

/**
 * Summarizes through any OpenAI-compatible chat completions endpoint: one call per fold with the
 * previous summary and the new messages, so the cost follows the new messages, not the history.
 * Retries (backoff with full jitter, honouring `retry-after`), a concurrency limit, a token
 * budget per minute and a circuit breaker keep a slow or failing endpoint from stalling callers.
 */
export class OpenAiSummarizer implements SummarizerBackend {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly temperature: number | null;
  private readonly clock: SummarizerClock;
  private readonly slots: Semaphore;
  private readonly bucket: TokenBucket | null;
  private readonly circuit: CircuitBreaker;
  private readonly onRetry?: (reason: LlmCallOutcome) => void;
  private readonly onCall?: (outcome: LlmCallOutcome, usage?: LlmUsage) => void;
  private readonly skipRoles: ReadonlySet<ChatRole>;
  private readonly sectionsVersion: SummarySectionsVersion;

  constructor(options: OpenAiSummarizerOptions) {
    if (!options.model) throw new Error('OpenAiSummarizer: model is required');
    this.model = options.model;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.maxRetries = atLeastZero('maxRetries', options.maxRetries ?? 4);
    this.retryBaseMs = atLeastZero('retryBaseMs', options.retryBaseMs ?? 500);
    this.retryMaxMs = atLeastZero('retryMaxMs', options.retryMaxMs ?? 20_000);
    const concurrency = positive('concurrency', options.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || !Number.isInteger(this.maxRetries)) {
      throw new Error('OpenAiSummarizer: concurrency and maxRetries must be whole numbers');
    }
    const tokensPerMinute = atLeastZero('tokensPerMinute', options.tokensPerMinute ?? 0);
    const circuitOpenMs = atLeastZero('circuitOpenMs', options.circuitOpenMs ?? 30_000);
    this.temperature = options.temperature === undefined ? 0 : options.temperature;
    this.clock = options.clock ?? systemClock;
    this.onRetry = options.onRetry;
    this.onCall = options.onCall;
    this.skipRoles = new Set(options.skipRoles ?? DEFAULT_SKIPPED_ROLES);
    this.sectionsVersion = options.sectionsVersion ?? '1.1';
    this.client =
      options.client ??
      new OpenAI({
        baseURL: options.baseUrl,
        apiKey: options.apiKey || 'not-needed',
        maxRetries: 0,
        timeout: this.timeoutMs,
      });
    this.slots = new Semaphore(concurrency);
    this.bucket = tokensPerMinute > 0 ? new TokenBucket(tokensPerMinute, this.clock) : null;
    this.circuit = new CircuitBreaker(circuitOpenMs, () => this.clock.now());
  }

  /** False while the circuit is open (folds would fail fast); true when closed or ready for a trial. */
  isAvailable(): boolean {
    return this.circuit.isAvailable();
  }

  /**
   * @throws LlmUnavailableError when the endpoint stayed unavailable through the retries, or at
   *   once while the circuit is open (reason `circuit_open`).
   * @throws LlmOutputError when every attempt answered with something that is not a summary.
   * @throws LlmRequestError when the endpoint refused the request (configuration problem).
   */
  async fold(
    previous: SummaryDraft | null,
    messages: readonly SummaryInputMessage[],
    options: FoldOptions,
  ): Promise<FoldResult> {
    const said = messages.filter((message) => !this.skipRoles.has(message.role));
    if (said.length === 0) {
      const sections = fitSections(
        sectionsAsVersion(previous?.sections ?? emptySections(), this.sectionsVersion),
        options.maxSummaryChars,
      );
      return { sections, backend: this.name, cost: zeroCost(), retries: 0 };
    }
    const entered = this.circuit.tryEnter();
    if (entered === null) {
      throw new LlmUnavailableError(
        'LLM endpoint failed recently; failing fast until the circuit half-opens',
        'circuit_open',
      );
    }
    // The half-open trial is a single call, so a still-broken endpoint costs one timeout at most.
    const retries = entered === 'trial' ? 0 : this.maxRetries;
    try {
      const result = await this.foldWithRetries(previous, said, options, retries);
      this.circuit.reachable();
      return result;
    } catch (error) {
      if (error instanceof LlmUnavailableError) this.circuit.unavailable();
      else if (error instanceof LlmOutputError || error instanceof LlmRequestError) {
        this.circuit.reachable();
      } else this.circuit.release(entered);
      throw error;
    }
  }

  private async foldWithRetries(
    previous: SummaryDraft | null,
    messages: readonly SummaryInputMessage[],
    options: FoldOptions,
    maxRetries: number,
  ): Promise<FoldResult> {
    const startedAt = this.clock.now();
    const prompt = buildFoldPrompt(previous, messages, options.maxSummaryChars);
    const promptChars = prompt.system.length + prompt.user.length;
    const estimate = estimateTokens(prompt.system) + estimateTokens(prompt.user);
    const cost = zeroCost();
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.attempt(prompt, estimate);
      if (outcome.kind !== 'unavailable') {
        // Both answers are billed, usable or not.
        cost.inputTokens += outcome.usage.inputTokens;
        cost.outputTokens += outcome.usage.outputTokens;
        cost.inputChars += promptChars;
        cost.outputChars += outcome.replyChars;
      }
      if (outcome.kind === 'ok') {
        const sections = fitSections(
          sectionsAsVersion(normalizeSections(outcome.sections), this.sectionsVersion),
          options.maxSummaryChars,
        );
        cost.durationMs = this.clock.now() - startedAt;
        return { sections, backend: this.name, cost, retries: attempt };
      }
      // Stop early when another fold has meanwhile found the endpoint down.
      if (attempt >= maxRetries || this.circuit.isOpen()) {
        if (outcome.kind === 'malformed') {
          throw new LlmOutputError(
            `LLM reply unusable after ${attempt + 1} attempt(s): ${outcome.detail}`,
          );
        }
        throw new LlmUnavailableError(
          `LLM unavailable after ${attempt + 1} attempt(s): ${outcome.detail}`,
          outcome.reason,
        );
      }
      this.onRetry?.(outcome.kind === 'malformed' ? 'malformed' : outcome.reason);
      // A malformed answer came from a working endpoint: ask again at once.
      if (outcome.kind === 'unavailable') await this.clock.sleep(this.retryDelay(attempt, outcome));
    }
  }

  private async attempt(prompt: FoldPrompt, estimatedTokens: number): Promise<Attempt> {
    await this.bucket?.take(estimatedTokens);
    return this.slots.run(() => this.call(prompt));
  }

  private async call(prompt: FoldPrompt): Promise<Attempt> {
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    const startedAt = Date.now();
    try {
      completion = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
          response_format: { type: 'json_object' },
          ...(this.temperature === null ? {} : { temperature: this.temperature }),
        },
        { timeout: this.timeoutMs, maxRetries: 0 },
      );
    } catch (error) {
      const failure = classifyFailure(error, Date.now() - startedAt >= this.timeoutMs);
      if (failure.kind === 'rejected') {
        this.onCall?.('rejected');
        throw new LlmRequestError(
          `LLM endpoint refused the request (check model, key and URL): ${failure.detail}`,
          failure.status,
        );
      }
      this.onCall?.(failure.reason);
      return failure;
    }
    const choice = completion.choices[0];
    const reply = choice?.message?.content ?? '';
    const usage: LlmUsage = completion.usage
      ? {
          inputTokens: completion.usage.prompt_tokens,
          outputTokens: completion.usage.completion_tokens,
          estimated: false,
        }
      : {
          // Some compatible servers omit usage: estimate, and say so to onCall.
          inputTokens: estimateTokens(prompt.system) + estimateTokens(prompt.user),
          outputTokens: estimateTokens(reply),
          estimated: true,
        };
    const sections = choice?.finish_reason === 'length' ? null : parseSummaryReply(reply);
    if (sections === null) {
      this.onCall?.('malformed', usage);
      const detail =
        choice?.finish_reason === 'length'
          ? 'reply cut off at the token limit'
          : `not a summary JSON object: ${JSON.stringify(reply.slice(0, 120))}`;
      return { kind: 'malformed', detail, usage, replyChars: reply.length };
    }
    this.onCall?.('ok', usage);
    return { kind: 'ok', sections, usage, replyChars: reply.length };
  }

  private retryDelay(attempt: number, outcome: { retryAfterMs?: number }): number {
    if (outcome.retryAfterMs !== undefined) return Math.min(outcome.retryAfterMs, this.retryMaxMs);
    return backoffDelay(attempt + 1, {
      baseMs: this.retryBaseMs,
      maxMs: this.retryMaxMs,
      jitter: 'full',
    });
  }
}

/**
 * Sorts a failed call: unavailability (retried) or a refused request (retrying cannot help).
 * Anything that is not an SDK error is a bug here and goes up as it is.
 */
function classifyFailure(
  error: unknown,
  timeoutElapsed: boolean,
): (Attempt & { kind: 'unavailable' }) | { kind: 'rejected'; status: number; detail: string } {
  // The SDK recognizes its own timeout only when the fetch abort error is an `Error` of its realm
  // (not so under Jest, nor for every fetch), so the elapsed time decides as well.
  if (
    error instanceof APIConnectionTimeoutError ||
    (error instanceof APIConnectionError && timeoutElapsed)
  ) {
    return { kind: 'unavailable', reason: 'timeout', detail: 'request timed out' };
  }
  if (error instanceof APIConnectionError) {
    return { kind: 'unavailable', reason: 'network', detail: error.message };
  }
  if (!isApiError(error)) throw error;
  const { status, message } = error;
  if (status === 429) {
    return {
      kind: 'unavailable',
      reason: 'rate_limited',
      detail: message,
      retryAfterMs: retryAfterMs(error.headers),
    };
  }
  if (status === 408) return { kind: 'unavailable', reason: 'timeout', detail: message };
  if (status === undefined || status >= 500) {
    return { kind: 'unavailable', reason: 'server_error', detail: message };
  }
  return { kind: 'rejected', status, detail: message };
}

// A guard rather than a bare `instanceof`, which widens the SDK's generic error to `any`s.
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}

/** `retry-after-ms` (OpenAI's) or `retry-after` (seconds or an HTTP date), when present. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`OpenAiSummarizer: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

function atLeastZero(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`OpenAiSummarizer: ${name} must be zero or more, got ${value}`);
  }
  return value;
}
