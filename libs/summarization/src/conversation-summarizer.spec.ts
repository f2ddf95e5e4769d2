import { EnvReader } from '@memory/config';
import { zeroCost } from '@memory/contracts';
import { ConversationSummarizer, SummarizerEvents } from './conversation-summarizer';
import { LocalSummarizer } from './local/local-summarizer';
import { MessagesNotYetStoredError, MissingFacts, SkippedMessages } from './missing-messages';
import { readSummarizationSettings } from './summarization.settings';
import { SummaryInputMessage } from './summarizer-backend';
import { FoldedVersion, SummaryConflictError, SummaryRow, SummaryStore } from './summary-store';

function message(seq: number): SummaryInputMessage {
  return {
    seq,
    role: seq % 2 === 0 ? 'assistant' : 'user',
    userId: seq % 2 === 0 ? 'assistant-1' : 'user-1',
    content: `message ${seq} about the trip to Lisbon in May`,
    createdAt: '2026-03-01T10:00:00.000Z',
  };
}

function range(from: number, through: number): number[] {
  return Array.from({ length: through - from + 1 }, (_, i) => from + i);
}

/** The part of SummaryStore the summarizer uses, in memory. */
class FakeStore {
  row: SummaryRow = {
    tenantId: 't1',
    conversationId: 'c1',
    userId: 'user-1',
    version: 0,
    throughSeq: 0,
    seenSeq: 0,
    tier: 'full',
    text: '',
    sections: null,
    fullSections: null,
    memo: null,
    backend: 'local',
    llmPending: false,
    llmBase: null,
    lastUpdate: null,
    totalCost: zeroCost(),
    publishedVersion: 0,
    firstMessageAt: null,
    lastMessageAt: null,
    lastReceivedAt: new Date(),
    updatedAt: new Date(),
  };
  stored = new Map<number, SummaryInputMessage>();
  facts: MissingFacts = { erased: false, archivedSeqs: new Set(), storedLastSeq: undefined };
  versions: FoldedVersion[] = [];
  reads = 0;

  messages(
    _tenantId: string,
    _conversationId: string,
    afterSeq: number,
    throughSeq: number,
    limit: number,
  ): Promise<SummaryInputMessage[]> {
    this.reads++;
    return Promise.resolve(
      [...this.stored.values()]
        .filter((m) => m.seq > afterSeq && m.seq <= throughSeq)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit),
    );
  }

  missingFacts(): Promise<MissingFacts> {
    return Promise.resolve(this.facts);
  }

  saveVersion(row: SummaryRow, next: FoldedVersion): Promise<SummaryRow> {
    this.assertAt(row);
    this.versions.push(next);
    this.row = {
      ...this.row,
      version: next.version,
      throughSeq: next.throughSeq,
      seenSeq: Math.max(this.row.seenSeq, next.throughSeq),
      text: next.text,
      sections: next.sections,
      memo: next.memo,
      llmPending: next.llmPending,
      llmBase: next.llmBase,
    };
    return Promise.resolve(this.row);
  }

  skipThrough(row: SummaryRow, throughSeq: number): Promise<SummaryRow> {
    this.assertAt(row);
    this.row = { ...this.row, throughSeq, seenSeq: Math.max(this.row.seenSeq, throughSeq) };
    return Promise.resolve(this.row);
  }

  load(): Promise<SummaryRow> {
    return Promise.resolve(this.row);
  }

  private assertAt(row: SummaryRow): void {
    if (row.version !== this.row.version || row.throughSeq !== this.row.throughSeq)
      throw new SummaryConflictError(row.tenantId, row.conversationId, row.version);
  }
}

function setUp(env: Record<string, string> = {}) {
  const store = new FakeStore();
  const skipped: SkippedMessages[] = [];
  const events: SummarizerEvents = { messagesSkipped: (skip) => skipped.push(skip) };
  const clock = { now: 0 };
  const settings = readSummarizationSettings(
    new EnvReader({ SUMMARY_MISSING_WAIT_MS: '60000', SUMMARY_MILESTONES: '1000', ...env }),
  );
  const summarizer = new ConversationSummarizer(
    store as unknown as SummaryStore,
    new LocalSummarizer(),
    undefined,
    settings,
    events,
    () => clock.now,
  );
  /** The conversation has seen messages through `seenSeq`. */
  const seen = (seenSeq: number): SummaryRow => ({ ...store.row, seenSeq });
  return { store, summarizer, skipped, clock, seen };
}

describe(ConversationSummarizer.name, () => {
  it('folds from the batch alone when it holds every message', async () => {
    const { store, summarizer, seen } = setUp();
    const known = new Map(range(1, 10).map((seq) => [seq, message(seq)]));
    const row = await summarizer.bringUpToDate(seen(10), 'count', { known });
    expect(row).toMatchObject({ version: 1, throughSeq: 10 });
    expect(store.reads).toBe(0);
  });

  it('fills what Postgres lacks from the batch (a record that outran its row)', async () => {
    const { store, summarizer, skipped, seen } = setUp();
    for (const seq of range(1, 9)) store.stored.set(seq, message(seq));
    const row = await summarizer.bringUpToDate(seen(10), 'count', {
      known: new Map([[10, message(10)]]),
    });
    expect(row).toMatchObject({ version: 1, throughSeq: 10 });
    expect(store.versions[0]).toMatchObject({ fromSeq: 1, throughSeq: 10, messageCount: 10 });
    expect(skipped).toEqual([]);
  });

  it.each([
    ['erased', { erased: true, archivedSeqs: new Set<number>(), storedLastSeq: undefined }],
    ['archived', { erased: false, archivedSeqs: new Set([4, 5]), storedLastSeq: 10 }],
    ['not_stored', { erased: false, archivedSeqs: new Set<number>(), storedLastSeq: 10 }],
  ] as const)(
    'skips messages gone for good (%s) at once, folding the rest over the whole range',
    async (reason, facts) => {
      const { store, summarizer, skipped, seen } = setUp();
      store.facts = facts;
      for (const seq of [...range(1, 3), ...range(6, 10)]) store.stored.set(seq, message(seq));
      const row = await summarizer.bringUpToDate(seen(10), 'count');
      expect(row).toMatchObject({ version: 1, throughSeq: 10 });
      expect(store.versions[0]).toMatchObject({ fromSeq: 1, throughSeq: 10, messageCount: 8 });
      expect(skipped).toEqual([{ tenantId: 't1', conversationId: 'c1', reason, seqs: [4, 5] }]);
    },
  );

  it('waits for messages that may be late, then skips them as not stored', async () => {
    const { store, summarizer, skipped, clock, seen } = setUp();
    for (const seq of range(1, 7)) store.stored.set(seq, message(seq));
    store.facts = { erased: false, archivedSeqs: new Set(), storedLastSeq: 7 };

    const first = summarizer.bringUpToDate(seen(10), 'count');
    await expect(first).rejects.toThrow(MessagesNotYetStoredError);
    await expect(first).rejects.toThrow(/messages 8\.\.10 of t1:c1 are not in the database yet/);
    clock.now += 59_000;
    await expect(summarizer.bringUpToDate(seen(10), 'idle')).rejects.toThrow(
      MessagesNotYetStoredError,
    );
    expect(store.versions).toEqual([]);

    clock.now += 1_000;
    const row = await summarizer.bringUpToDate(seen(10), 'idle');
    expect(row).toMatchObject({ version: 1, throughSeq: 10 });
    expect(skipped).toEqual([
      { tenantId: 't1', conversationId: 'c1', reason: 'not_stored', seqs: [8, 9, 10] },
    ]);
  });

  it('stops waiting once the late messages arrived, and waits anew for later ones', async () => {
    const { store, summarizer, clock, seen } = setUp();
    for (const seq of range(1, 5)) store.stored.set(seq, message(seq));
    store.facts = { erased: false, archivedSeqs: new Set(), storedLastSeq: 5 };
    await expect(summarizer.bringUpToDate(seen(10), 'count')).rejects.toThrow(
      MessagesNotYetStoredError,
    );
    clock.now += 50_000;
    for (const seq of range(6, 10)) store.stored.set(seq, message(seq));
    expect(await summarizer.bringUpToDate(seen(10), 'count')).toMatchObject({ throughSeq: 10 });

    clock.now += 50_000;
    await expect(summarizer.bringUpToDate(seen(20), 'count')).rejects.toThrow(/waited 0 s/);
  });

  it('moves past a page where nothing is left, without a new version', async () => {
    const { store, summarizer, skipped, seen } = setUp({ SUMMARY_MISSING_WAIT_MS: '0' });
    const row = await summarizer.bringUpToDate(seen(10), 'idle');
    expect(row).toMatchObject({ version: 0, throughSeq: 10 });
    expect(store.versions).toEqual([]);
    expect(skipped).toEqual([
      { tenantId: 't1', conversationId: 'c1', reason: 'not_stored', seqs: range(1, 10) },
    ]);
  });

  it('redoes with the LLM what was folded locally, past the messages skipped since', async () => {
    const { store, skipped, clock } = setUp();
    const local = new LocalSummarizer();
    const llm = Object.assign(new LocalSummarizer(), { isAvailable: () => true });
    const folded: number[] = [];
    jest.spyOn(llm, 'fold').mockImplementation((previous, messages, options) => {
      folded.push(...messages.map((m) => m.seq));
      return local.fold(previous, messages, options);
    });
    const summarizer = new ConversationSummarizer(
      store as unknown as SummaryStore,
      local,
      llm,
      readSummarizationSettings(new EnvReader({})),
      { messagesSkipped: (skip) => skipped.push(skip) },
      () => clock.now,
    );
    for (const seq of [...range(1, 3), ...range(6, 10)]) store.stored.set(seq, message(seq));
    store.facts = { erased: false, archivedSeqs: new Set([4, 5]), storedLastSeq: 10 };
    store.row = {
      ...store.row,
      version: 1,
      throughSeq: 10,
      seenSeq: 10,
      llmPending: true,
      llmBase: { sections: null, throughSeq: 0 },
    };
    const row = await summarizer.catchUpLlm(store.row);
    expect(row).toMatchObject({ version: 2, throughSeq: 10, llmPending: false });
    expect(folded).toEqual([1, 2, 3, 6, 7, 8, 9, 10]);
    // Counted once, by the fold that skipped them, not again by the LLM pass.
    expect(skipped).toEqual([]);
  });

  describe('a message longer than the chunk budget', () => {
    const long = (seq: number): SummaryInputMessage => ({
      ...message(seq),
      content: Array.from(
        { length: 1_200 },
        (_, i) => `Point ${i} of the long brief is about harbour ${i}.`,
      ).join(' '),
    });

    function withSpy(store: FakeStore, failAtCall?: number) {
      const local = new LocalSummarizer();
      const folded: SummaryInputMessage[] = [];
      let calls = 0;
      jest.spyOn(local, 'fold').mockImplementation(async (previous, messages, options) => {
        calls++;
        if (calls === failAtCall) throw new Error('killed');
        folded.push(...messages);
        return new LocalSummarizer().fold(previous, messages, options);
      });
      const summarizer = new ConversationSummarizer(
        store as unknown as SummaryStore,
        local,
        undefined,
        readSummarizationSettings(
          new EnvReader({ SUMMARY_CHUNK_CHARS: '12000', SUMMARY_MILESTONES: '1000' }),
        ),
      );
      return { summarizer, folded };
    }

    it('is folded whole, in parts, and no version ends inside it', async () => {
      const store = new FakeStore();
      store.stored.set(1, message(1));
      store.stored.set(2, long(2));
      store.stored.set(3, message(3));
      const { summarizer, folded } = withSpy(store);
      const row = await summarizer.bringUpToDate({ ...store.row, seenSeq: 3 }, 'idle');
      expect(row.throughSeq).toBe(3);
      const parts = folded.filter((m) => m.seq === 2);
      expect(parts.length).toBeGreaterThan(4);
      expect(parts.map((m) => m.content).join('')).toBe(long(2).content);
      // Message 1 fills a chunk of its own; the parts were carried into one version with
      // message 3, and counted as one message.
      expect(
        store.versions.map(({ fromSeq, throughSeq, messageCount }) => [
          fromSeq,
          throughSeq,
          messageCount,
        ]),
      ).toEqual([
        [1, 1, 1],
        [2, 3, 2],
      ]);
      expect(store.versions[1].cost.inputChars).toBeGreaterThan(long(2).content.length);
    });

    it('is refolded from its first part when a fold fails between its parts', async () => {
      const store = new FakeStore();
      store.stored.set(1, long(1));
      store.stored.set(2, message(2));
      const failing = withSpy(store, 3);
      await expect(
        failing.summarizer.bringUpToDate({ ...store.row, seenSeq: 2 }, 'idle'),
      ).rejects.toThrow('killed');
      expect(store.versions).toEqual([]);

      const { summarizer, folded } = withSpy(store);
      const row = await summarizer.bringUpToDate({ ...store.row, seenSeq: 2 }, 'idle');
      expect(row.throughSeq).toBe(2);
      expect(
        folded
          .filter((m) => m.seq === 1)
          .map((m) => m.content)
          .join(''),
      ).toBe(long(1).content);
    });
  });
});
