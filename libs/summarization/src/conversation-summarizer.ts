import { addCost, renderSummaryText, SummarySections, zeroCost } from '@memory/contracts';
import { chunkMessages, completesMessage, endsInsideMessage } from './chunking';
import {
  classifyMissing,
  MessagesNotYetStoredError,
  MISSING_REASONS,
  MissingMessageWaits,
  SkippedMessages,
} from './missing-messages';
import {
  FoldResult,
  LlmOutputError,
  LlmUnavailableError,
  SummarizerBackend,
  SummaryDraft,
  SummaryInputMessage,
} from './summarizer-backend';
import {
  isTriggerPoint,
  lastTriggerPoint,
  SummarizationSettings,
  TriggerPolicy,
  triggersFor,
} from './summarization.settings';
import {
  FoldTrigger,
  LlmBase,
  SummaryConflictError,
  SummaryRow,
  SummaryStore,
  summaryKey,
} from './summary-store';
import { tracedFold } from './traced-fold';

/** Messages read from Postgres per round trip while folding a backlog. */
const PAGE_SIZE = 500;

/** What the summarizer reports, for metrics. */
export interface SummarizerEvents {
  folded?(outcome: { row: SummaryRow; result: FoldResult; trigger: FoldTrigger }): void;
  llmFailed?(reason: string, error: Error): void;
  filledFromStore?(count: number): void;
  /** Messages a fold needed that are gone for good (erased, archived, not stored): skipped. */
  messagesSkipped?(skipped: SkippedMessages): void;
}

/** Any LLM failure the summarizer falls back from (unavailable, unusable output, bad request). */
export function isLlmFailure(error: unknown): error is Error {
  return (
    error instanceof LlmUnavailableError ||
    error instanceof LlmOutputError ||
    (error instanceof Error && error.name === 'LlmRequestError')
  );
}

function failureReason(error: Error): string {
  if (error instanceof LlmUnavailableError) return error.reason;
  if (error instanceof LlmOutputError) return 'malformed';
  return 'request_error';
}

/**
 * Brings conversation summaries up to date: folds the messages after `throughSeq` into the
 * previous summary, in chunks under the character budget, saving a version (with its lineage)
 * after each chunk, so a crash in the middle of a long backlog resumes from the last chunk.
 *
 * With an LLM configured, each chunk goes to the LLM; when it fails, the local backend folds
 * the chunk instead, the summary is marked `llmPending` and the last LLM-made state is kept, so
 * {@link catchUpLlm} can later redo everything since then with the LLM: nothing is lost and the
 * partition never waits for the LLM to come back.
 */
export class ConversationSummarizer {
  private readonly waits: MissingMessageWaits;

  constructor(
    private readonly store: SummaryStore,
    private readonly local: SummarizerBackend,
    private readonly llm: (SummarizerBackend & { isAvailable(): boolean }) | undefined,
    private readonly settings: SummarizationSettings,
    private readonly events: SummarizerEvents = {},
    now: () => number = Date.now,
  ) {
    this.waits = new MissingMessageWaits(now);
  }

  /**
   * Folds everything from `row.throughSeq + 1` to `row.seenSeq` (or `throughSeq` if given).
   * `known` holds messages the caller already has (the consumed batch), by seq; the rest is
   * read from Postgres. Conflicts with a concurrent writer are retried from the fresh row.
   *
   * Messages in neither place that are gone for good (erased, archived, no longer or never in
   * this database) are skipped and reported; while some may still come, this throws
   * {@link MessagesNotYetStoredError} (the pages of a backlog folded before stay saved), for up
   * to `missingWaitMs`, after which they too are skipped as not stored.
   */
  async bringUpToDate(
    row: SummaryRow,
    trigger: FoldTrigger,
    options: {
      known?: ReadonlyMap<number, SummaryInputMessage>;
      throughSeq?: number;
      onChunk?: () => Promise<void>;
    } = {},
  ): Promise<SummaryRow> {
    // The target is fixed now: after a conflict, the fresh row may have seen more messages,
    // which are not this call's to fold (an idle fold must not take what just arrived).
    const fixed = { ...options, throughSeq: options.throughSeq ?? row.seenSeq };
    let current = row;
    let conflicts = 0;
    for (;;) {
      try {
        return await this.foldRange(current, trigger, fixed);
      } catch (error) {
        if (!(error instanceof SummaryConflictError)) throw error;
        const fresh = await this.store.load(row.tenantId, row.conversationId);
        if (!fresh) throw error;
        // Conflicts while the summary moves on are progress; only repeated ones in place fail.
        conflicts = fresh.throughSeq > current.throughSeq ? 0 : conflicts + 1;
        if (conflicts > 5) throw error;
        current = fresh;
      }
    }
  }

  private async foldRange(
    row: SummaryRow,
    trigger: FoldTrigger,
    options: {
      known?: ReadonlyMap<number, SummaryInputMessage>;
      throughSeq?: number;
      onChunk?: () => Promise<void>;
    },
  ): Promise<SummaryRow> {
    const target = options.throughSeq ?? row.seenSeq;
    const policy = triggersFor(this.settings, row.tenantId);
    let current = row;
    while (current.throughSeq < target) {
      const pageEnd =
        lastTriggerPoint(
          policy,
          current.throughSeq,
          Math.min(target, current.throughSeq + PAGE_SIZE),
        ) ?? Math.min(target, current.throughSeq + PAGE_SIZE);
      const page = await this.pendingMessages(current, pageEnd, options.known);
      const chunks = this.plan(page, policy, this.usesLlm(current));
      if (chunks.length === 0) current = await this.store.skipThrough(current, pageEnd);
      // Folds that end inside a split message are carried, not saved: a version never claims
      // a message whose later parts are not folded yet (a crash refolds it from its first part).
      let carried: CarriedFold | undefined;
      for (const [i, chunk] of chunks.entries()) {
        const last = chunk[chunk.length - 1];
        if (endsInsideMessage(last)) {
          carried = await this.fold(current, chunk, carried);
          continue;
        }
        // The last fold of a page also covers the skipped messages after its last one.
        const through = i === chunks.length - 1 ? pageEnd : last.seq;
        current = await this.save(
          current,
          await this.fold(current, chunk, carried),
          through,
          endReason(policy, through, trigger),
        );
        carried = undefined;
        await options.onChunk?.();
      }
    }
    return current;
  }

  /** Whether the next fold of this row goes to the LLM. */
  private usesLlm(row: SummaryRow): boolean {
    return this.llm !== undefined && !row.llmPending;
  }

  /**
   * Splits messages into folds. Folds end at the trigger points (every N-th seq, milestones), so
   * the local summary does not depend on how the messages were batched: a conversation streamed
   * in pieces and the same one arriving all at once are folded alike. For the LLM, consecutive
   * pieces are packed together up to the chunk budget: fewer, larger calls cost fewer tokens
   * (the previous summary is sent once per call). A message over the budget is split into
   * parts, never cut.
   */
  private plan(
    messages: readonly SummaryInputMessage[],
    policy: TriggerPolicy,
    packed: boolean,
  ): SummaryInputMessage[][] {
    const pieces: SummaryInputMessage[][] = [];
    let piece: SummaryInputMessage[] = [];
    for (const message of messages) {
      piece.push(message);
      if (isTriggerPoint(policy, message.seq)) {
        pieces.push(piece);
        piece = [];
      }
    }
    if (piece.length > 0) pieces.push(piece);
    if (!packed) return pieces.flatMap((p) => chunkMessages(p, this.settings.chunkChars));
    return chunkMessages(messages, this.settings.chunkChars);
  }

  /**
   * The messages after `row.throughSeq` through `last`: from `known` when it has them all,
   * otherwise from Postgres with `known` filling its holes; see {@link settleMissing} for the rest.
   */
  private async pendingMessages(
    row: SummaryRow,
    last: number,
    known: ReadonlyMap<number, SummaryInputMessage> | undefined,
  ): Promise<SummaryInputMessage[]> {
    const fromBatch: SummaryInputMessage[] = [];
    for (let seq = row.throughSeq + 1; seq <= last; seq++) {
      const message = known?.get(seq);
      if (!message) break;
      fromBatch.push(message);
    }
    if (fromBatch.length === last - row.throughSeq) return fromBatch;
    const loaded = await this.store.messages(
      row.tenantId,
      row.conversationId,
      row.throughSeq,
      last,
      PAGE_SIZE,
    );
    const bySeq = new Map(loaded.map((message) => [message.seq, message]));
    for (const [seq, message] of known ?? [])
      if (seq > row.throughSeq && seq <= last && !bySeq.has(seq)) bySeq.set(seq, message);
    const missing: number[] = [];
    for (let seq = row.throughSeq + 1; seq <= last; seq++) if (!bySeq.has(seq)) missing.push(seq);
    if (missing.length > 0) await this.settleMissing(row, missing, true);
    else this.waits.forget(summaryKey(row.tenantId, row.conversationId));
    this.events.filledFromStore?.(loaded.filter((message) => !known?.has(message.seq)).length);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /**
   * Decides about messages a fold needs that are in neither the batch nor Postgres. Erased,
   * archived, or stored once and removed since: gone for good, skipped (and reported when
   * `report`). Otherwise they may be late (a lagging replica): this throws
   * {@link MessagesNotYetStoredError} until the conversation has waited `missingWaitMs`, then
   * skips them as never stored in this database (records produced against another one).
   */
  private async settleMissing(
    row: SummaryRow,
    missing: readonly number[],
    report: boolean,
  ): Promise<void> {
    const { tenantId, conversationId } = row;
    const key = summaryKey(tenantId, conversationId);
    const reasons = classifyMissing(
      missing,
      await this.store.missingFacts(tenantId, conversationId, missing),
    );
    const late = missing.filter((seq) => reasons.get(seq) === 'late');
    if (late.length > 0) {
      const waited = this.waits.waited(key);
      if (waited < this.settings.missingWaitMs)
        throw new MessagesNotYetStoredError(tenantId, conversationId, late, waited);
      for (const seq of late) reasons.set(seq, 'not_stored');
    }
    this.waits.forget(key);
    if (!report) return;
    for (const reason of MISSING_REASONS) {
      const seqs = missing.filter((seq) => reasons.get(seq) === reason);
      if (seqs.length > 0)
        this.events.messagesSkipped?.({ tenantId, conversationId, reason, seqs });
    }
  }

  /**
   * Folds `chunk` into the row's summary, or into what `carried` folded since the row was
   * saved: with the LLM unless it is pending (falling back to the local backend, and then
   * marking the row pending from its last saved LLM state).
   */
  private async fold(
    row: SummaryRow,
    chunk: readonly SummaryInputMessage[],
    carried: CarriedFold | undefined,
  ): Promise<CarriedFold> {
    const previous = carried ? carried.draft : draftOf(row);
    const options = { maxSummaryChars: this.settings.maxSummaryChars };
    let result: FoldResult | undefined;
    let llmPending = carried?.llmPending ?? row.llmPending;
    let llmBase = carried?.llmBase ?? row.llmBase;
    if (this.llm && !llmPending) {
      const llm = this.llm;
      try {
        result = await tracedFold('openai', chunk.length, () => llm.fold(previous, chunk, options));
      } catch (error) {
        if (!isLlmFailure(error)) throw error;
        this.events.llmFailed?.(failureReason(error), error);
        llmPending = true;
        llmBase = { sections: fullSectionsOf(row), throughSeq: row.throughSeq };
      }
    }
    result ??= await tracedFold('local', chunk.length, () =>
      this.local.fold(previous, chunk, options),
    );
    const messages = (carried?.messages ?? 0) + chunk.filter(completesMessage).length;
    return {
      result: carried ? { ...result, cost: addCost(carried.result.cost, result.cost) } : result,
      draft: {
        sections: result.sections,
        memo: result.memo,
        messageCount: (previous?.messageCount ?? 0) + chunk.filter(completesMessage).length,
      },
      llmPending,
      llmBase,
      messages,
    };
  }

  /** Saves what was folded since `row` as a new version covering the seqs through `through`. */
  private async save(
    row: SummaryRow,
    folded: CarriedFold,
    through: number,
    trigger: FoldTrigger,
  ): Promise<SummaryRow> {
    const { result } = folded;
    const saved = await this.store.saveVersion(row, {
      version: row.version + 1,
      fromSeq: row.throughSeq + 1,
      throughSeq: through,
      text: renderSummaryText(result.sections),
      sections: result.sections,
      memo: result.memo,
      backend: result.backend,
      llmPending: folded.llmPending,
      llmBase: folded.llmBase,
      trigger,
      messageCount: folded.messages,
      cost: result.cost,
      totalCost: addCost(row.totalCost, result.cost),
    });
    this.events.folded?.({ row: saved, result, trigger });
    return saved;
  }

  /** Whether an LLM is configured and worth calling now (its circuit is not open). */
  llmAvailable(): boolean {
    return this.llm?.isAvailable() ?? false;
  }

  /**
   * Redoes with the LLM what local folds made while it was unreachable: from the last LLM-made
   * state, every message through the current `throughSeq`. Returns the new row, or undefined
   * when the LLM failed again (the row stays pending) or another writer got there first.
   */
  async catchUpLlm(row: SummaryRow): Promise<SummaryRow | undefined> {
    if (!this.llm || !row.llmPending || !row.llmBase || !this.llm.isAvailable()) return undefined;
    const llm = this.llm;
    const base: LlmBase = row.llmBase;
    let current = row;
    let sections: SummarySections | null = base.sections;
    let foldedThrough = base.throughSeq;
    let cost = zeroCost();
    let lastResult: FoldResult | undefined;
    for (let conflicts = 0; conflicts <= 3; conflicts++) {
      try {
        while (foldedThrough < current.throughSeq) {
          const page = await this.store.messages(
            current.tenantId,
            current.conversationId,
            foldedThrough,
            current.throughSeq,
            PAGE_SIZE,
          );
          // Messages the local folds skipped are gone; others may be late (then this waits).
          const pageEnd =
            page.length === PAGE_SIZE ? page[page.length - 1].seq : current.throughSeq;
          const missing = missingSeqs(page, foldedThrough, pageEnd);
          if (missing.length > 0) await this.settleMissing(current, missing, false);
          for (const chunk of chunkMessages(page, this.settings.chunkChars)) {
            const previous: SummaryDraft | null = sections
              ? { sections, messageCount: foldedThrough }
              : null;
            lastResult = await llm.fold(previous, chunk, {
              maxSummaryChars: this.settings.maxSummaryChars,
            });
            sections = lastResult.sections;
            foldedThrough = chunk[chunk.length - 1].seq;
            cost = addCost(cost, lastResult.cost);
          }
          foldedThrough = pageEnd;
        }
      } catch (error) {
        if (!isLlmFailure(error)) throw error;
        this.events.llmFailed?.(failureReason(error), error);
        return undefined;
      }
      if (!lastResult || !sections) return undefined;
      try {
        const saved = await this.store.saveVersion(current, {
          version: current.version + 1,
          fromSeq: base.throughSeq + 1,
          throughSeq: current.throughSeq,
          text: renderSummaryText(sections),
          sections,
          memo: undefined,
          backend: lastResult.backend,
          llmPending: false,
          llmBase: null,
          trigger: 'llm_catchup',
          messageCount: current.throughSeq - base.throughSeq,
          cost,
          totalCost: addCost(current.totalCost, cost),
        });
        this.events.folded?.({
          row: saved,
          result: { ...lastResult, cost },
          trigger: 'llm_catchup',
        });
        return saved;
      } catch (error) {
        if (!(error instanceof SummaryConflictError)) throw error;
        // Local folds went on meanwhile: keep what the LLM made and fold the rest on top, as
        // long as the row still waits for this pass (same base, nothing undone).
        const fresh = await this.store.load(row.tenantId, row.conversationId);
        if (
          !fresh?.llmPending ||
          fresh.llmBase?.throughSeq !== base.throughSeq ||
          fresh.throughSeq < foldedThrough
        )
          return undefined;
        current = fresh;
      }
    }
    return undefined;
  }
}

/** What was folded since the last saved version, not saved yet (it ends inside a message). */
interface CarriedFold {
  /** The last fold's result, with the cost of every fold carried. */
  result: FoldResult;
  /** Where the next fold continues from. */
  draft: SummaryDraft;
  llmPending: boolean;
  llmBase: LlmBase | null;
  /** Stored messages completed by the folds carried. */
  messages: number;
}

/** The seqs after `after` through `through` that `messages` (in seq order) lacks. */
function missingSeqs(
  messages: readonly SummaryInputMessage[],
  after: number,
  through: number,
): number[] {
  const present = new Set(messages.map((message) => message.seq));
  const missing: number[] = [];
  for (let seq = after + 1; seq <= through; seq++) if (!present.has(seq)) missing.push(seq);
  return missing;
}

/**
 * The summary a fold continues from: the full one, also when the conversation sits in a
 * compressed tier (new activity brings it back to `full`).
 */
function draftOf(row: SummaryRow): SummaryDraft | null {
  const sections = fullSectionsOf(row);
  if (!sections) return null;
  return { sections, memo: row.memo ?? undefined, messageCount: row.throughSeq };
}

function fullSectionsOf(row: SummaryRow): SummarySections | null {
  return row.fullSections ?? row.sections;
}

/**
 * Why a fold ended where it did: at every N-th seq (`count`), at a milestone, or where the
 * pass that made it stopped (idle, backfill).
 */
function endReason(policy: TriggerPolicy, last: number, pass: FoldTrigger): FoldTrigger {
  if (pass !== 'count' && pass !== 'milestone' && pass !== 'idle') return pass;
  if (policy.everyMessages > 0 && last % policy.everyMessages === 0) return 'count';
  if (policy.milestones.includes(last)) return 'milestone';
  return pass;
}
