import { MemorySummary, TOPICS } from '@memory/contracts';
import { eventually } from './eventually';
import { IngestHarness } from './ingest-harness';
import { consumeUntil, endOffsets, setGroupOffsets } from './kafka';
import { ServiceProcess } from './service-process';

/** Turns of the LoCoMo sample as message contents (the shared reader of benchmarks and tests). */
export { locomoTurns } from '@memory/datasets';

/** A summary row as the tests read it. */
export interface StoredSummary {
  version: number;
  throughSeq: number;
  seenSeq: number;
  text: string;
  sections: unknown;
  backend: string;
  llmPending: boolean;
  publishedVersion: number;
}

/** A lineage row: which seq range made which version. */
export interface SummaryVersion {
  version: number;
  fromSeq: number;
  throughSeq: number;
  backend: string;
  trigger: string;
  messageCount: number;
  inputChars: number;
  inputTokens: number;
}

/**
 * The ingest harness plus a summarizer process in the same consumer-group prefix, started at
 * the current end of `memory.messages.v1`: the real pipeline from chat message to summary.
 */
export class SummarizerHarness extends IngestHarness {
  summarizer: ServiceProcess = this.newSummarizer();
  summariesFrom: Array<{ partition: number; offset: string }> = [];
  readonly summarizerGroup = `${this.groupPrefix}.summarizer`;

  constructor(private readonly summarizerEnv: Record<string, string> = {}) {
    super();
  }

  override async setUp(): Promise<void> {
    await super.setUp();
    this.summariesFrom = await endOffsets(this.kafka, TOPICS.memorySummaries);
    await setGroupOffsets(
      this.kafka,
      this.summarizerGroup,
      TOPICS.memoryMessages,
      this.publishedFrom,
    );
  }

  override async tearDown(): Promise<void> {
    await this.summarizer.stop('SIGKILL');
    await super.tearDown();
  }

  newSummarizer(env: Record<string, string> = {}): ServiceProcess {
    return new ServiceProcess('summarizer', {
      KAFKA_GROUP_PREFIX: this.groupPrefix,
      SUMMARY_IDLE_MS: '1500',
      SUMMARY_SWEEP_INTERVAL_MS: '300',
      ...this.summarizerEnv,
      ...env,
    });
  }

  async startSummarizer(env: Record<string, string> = {}): Promise<void> {
    this.summarizer = this.newSummarizer(env).start();
    await this.summarizer.waitReady();
  }

  /** Produces chat messages `contents` as messages `first`.. of a conversation. */
  async say(conversationId: string, contents: readonly string[], first = 1): Promise<void> {
    await this.produce(
      contents.map((content, i) =>
        this.record(
          this.message(conversationId, `${conversationId}-m${first + i}`, content, {
            userId: (first + i) % 2 === 0 ? 'assistant-1' : 'user-1',
            role: (first + i) % 2 === 0 ? 'assistant' : 'user',
          }),
        ),
      ),
    );
  }

  async summary(conversationId: string): Promise<StoredSummary | undefined> {
    const [row] = await this.dataSource.query<
      Array<{
        version: number;
        through_seq: string;
        seen_seq: string;
        text: string;
        sections: unknown;
        backend: string;
        llm_pending: boolean;
        published_version: number;
      }>
    >(
      `SELECT version, through_seq, seen_seq, text, sections, backend, llm_pending, published_version
         FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2`,
      [this.tenantId, conversationId],
    );
    if (!row) return undefined;
    return {
      version: row.version,
      throughSeq: Number(row.through_seq),
      seenSeq: Number(row.seen_seq),
      text: row.text,
      sections: row.sections,
      backend: row.backend,
      llmPending: row.llm_pending,
      publishedVersion: row.published_version,
    };
  }

  async versions(conversationId: string): Promise<SummaryVersion[]> {
    const rows = await this.dataSource.query<
      Array<{
        version: number;
        from_seq: string;
        through_seq: string;
        backend: string;
        trigger: string;
        message_count: number;
        input_chars: number;
        input_tokens: number;
      }>
    >(
      `SELECT version, from_seq, through_seq, backend, trigger, message_count, input_chars,
              input_tokens
         FROM summary_versions WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY version`,
      [this.tenantId, conversationId],
    );
    return rows.map((row) => ({
      version: row.version,
      fromSeq: Number(row.from_seq),
      throughSeq: Number(row.through_seq),
      backend: row.backend,
      trigger: row.trigger,
      messageCount: row.message_count,
      inputChars: row.input_chars,
      inputTokens: row.input_tokens,
    }));
  }

  /** Waits until the summary holds `predicate` (e.g. folded through the last seq) and is published. */
  async waitForSummary(
    conversationId: string,
    predicate: (summary: StoredSummary) => boolean,
    timeoutMs = 60_000,
  ): Promise<StoredSummary> {
    try {
      return await eventually(async () => {
        const summary = await this.summary(conversationId);
        return summary && predicate(summary) && summary.publishedVersion === summary.version
          ? summary
          : undefined;
      }, timeoutMs);
    } catch (error) {
      const summary = await this.summary(conversationId);
      throw new Error(
        `${String(error)}: summary of ${conversationId} is ${JSON.stringify(summary)}; ` +
          `summarizer said:\n${this.summarizer.output.slice(-30).join('\n')}`,
      );
    }
  }

  /** Waits until the summary has seen `seq` (the summarizer consumed it). */
  async waitSeen(conversationId: string, seq: number): Promise<void> {
    await this.waitForSummary(conversationId, (summary) => summary.seenSeq >= seq);
  }

  /** The summaries of this tenant published since set-up, in topic order. */
  async publishedSummaries(
    done: (summaries: MemorySummary[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<MemorySummary[]> {
    const records = await consumeUntil(this.kafka, TOPICS.memorySummaries, {
      from: this.summariesFrom,
      keep: (record) => record.key?.toString().startsWith(`${this.tenantId}:`) ?? false,
      done: (kept) => done(kept.map(parseSummary)),
      timeoutMs,
    });
    return records.map(parseSummary);
  }
}

function parseSummary(record: { value: Buffer | null }): MemorySummary {
  return JSON.parse(record.value?.toString('utf8') ?? 'null') as MemorySummary;
}

/**
 * A message of `bytes` ASCII characters (64 KiB is the most ingest accepts): numbered sentences
 * about a brief, ending with one that names `lastWord`, so a test can tell whether its end was
 * read.
 */
export function longBrief(bytes: number, lastWord: string): string {
  const last = ` The last line of the brief names the harbour ${lastWord}.`;
  const sentences: string[] = [];
  let size = last.length;
  for (let i = 1; ; i++) {
    const sentence = `${i === 1 ? '' : ' '}Item ${i} of the brief lists berth ${i} and crane ${i % 7}.`;
    if (size + sentence.length > bytes) break;
    sentences.push(sentence);
    size += sentence.length;
  }
  return `${sentences.join('')}${last}`;
}
