import { FakeLlmServer } from './support/fake-llm-server';
import { summarySectionsSchema } from '@memory/contracts';
import { eventually } from './support/eventually';
import { locomoTurns, longBrief, SummarizerHarness } from './support/summarizer-harness';

/*
 * The summarizer with SUMMARY_BACKEND=openai against an OpenAI-compatible server run by the test
 * (the only fake: an LLM is external and paid). Kafka, Postgres and both services are real.
 */
describe('summarizer with an OpenAI-compatible LLM', () => {
  const llm = new FakeLlmServer();
  const turns = locomoTurns('30');
  let harness: SummarizerHarness;

  beforeAll(async () => {
    const baseUrl = await llm.start();
    harness = new SummarizerHarness({
      SUMMARY_BACKEND: 'openai',
      OPENAI_BASE_URL: baseUrl,
      OPENAI_MODEL: 'fake-summarizer',
      OPENAI_MAX_RETRIES: '2',
      OPENAI_TIMEOUT_MS: '1500',
      OPENAI_CIRCUIT_OPEN_MS: '1000',
      // User profiles looked at again a second after a change (the default waits 10 minutes).
      SUMMARY_PROFILE_INTERVAL_MS: '1000',
    });
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
  });

  afterAll(async () => {
    await harness.tearDown();
    await llm.stop();
  });

  /** Whether some request the LLM answered successfully carried `content`. */
  const answeredWith = (content: string): boolean =>
    llm.requests.some(
      (request) =>
        request.mode === 'ok' &&
        (request.body.messages ?? []).some((message) => message.content.includes(content)),
    );

  it('summarizes with the LLM, stands in locally while it fails, and catches up once it is back, losing nothing', async () => {
    const contents = turns.slice(0, 40);
    await harness.say('llm', contents.slice(0, 10));
    const first = await harness.waitForSummary('llm', (s) => s.throughSeq === 10);
    expect(first).toMatchObject({ backend: 'openai', llmPending: false });

    // The endpoint fails: 5xx, then timeouts. Summaries keep advancing, locally.
    llm.mode = 'server_error';
    await harness.say('llm', contents.slice(10, 30), 11);
    const degraded = await harness.waitForSummary('llm', (s) => s.throughSeq === 30);
    expect(degraded).toMatchObject({ backend: 'local', llmPending: true });
    llm.mode = 'timeout';
    await harness.say('llm', contents.slice(30, 40), 31);
    await harness.waitForSummary('llm', (s) => s.throughSeq === 40 && s.llmPending);
    const published = await harness.publishedSummaries((all) =>
      all.some((s) => s.conversationId === 'llm' && s.throughSeq === 40),
    );
    expect(published.filter((s) => s.conversationId === 'llm').at(-1)?.stats).toMatchObject({
      backend: 'local',
      llmPending: true,
    });

    // Back up: one LLM pass redoes everything since its last summary.
    llm.mode = 'ok';
    const recovered = await harness.waitForSummary(
      'llm',
      (s) => s.backend === 'openai' && !s.llmPending,
    );
    expect(recovered.throughSeq).toBe(40);
    const versions = await harness.versions('llm');
    expect(versions.at(-1)).toMatchObject({ trigger: 'llm_catchup', fromSeq: 11, throughSeq: 40 });
    expect(versions.at(-1)!.inputTokens).toBeGreaterThan(0);
    for (const content of contents) expect(answeredWith(content)).toBe(true);
  });

  it('retries a rate limit and a malformed answer, then uses the answer', async () => {
    llm.failNext(1, 'rate_limit');
    llm.failNext(1, 'malformed');
    const before = llm.requests.length;
    await harness.say('retried', turns.slice(40, 50));
    const summary = await harness.waitForSummary('retried', (s) => s.throughSeq === 10);
    expect(summary).toMatchObject({ backend: 'openai', llmPending: false });
    const modes = llm.requests.slice(before).map((request) => request.mode);
    expect(modes.slice(0, 3)).toEqual(['rate_limit', 'malformed', 'ok']);
  });

  it('packs a backlog into few LLM calls, each under the chunk budget', async () => {
    const contents = Array.from({ length: 1000 }, (_, i) => turns[i % turns.length]);
    const before = llm.requests.length;
    await harness.say('llm-import', contents);
    await harness.waitForSummary('llm-import', (s) => s.throughSeq === 1000, 180_000);
    const calls = llm.requests.slice(before).filter((request) => request.mode === 'ok');
    const totalChars = contents.reduce((sum, content) => sum + content.length, 0);
    // Chunks of at most SUMMARY_CHUNK_CHARS (12,000) of messages, so about totalChars / 12,000
    // calls rather than one per trigger interval (100).
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(totalChars / 6_000));
    for (const call of calls) {
      const prompt = (call.body.messages ?? []).map((m) => m.content).join('\n');
      expect(prompt.length).toBeLessThan(12_000 * 1.2 + 2_000 + 1_000);
    }
  });

  it('sends a 64 KiB message whole, in numbered parts, each call under the chunk budget', async () => {
    const brief = longBrief(64 * 1024, 'Quillmere');
    const before = llm.requests.length;
    await harness.say('llm-long', [turns[0], brief, turns[1]]);
    await harness.waitForSummary('llm-long', (s) => s.throughSeq === 3 && !s.llmPending);
    const calls = llm.requests.slice(before).filter((request) => request.mode === 'ok');
    const parts: string[] = [];
    for (const call of calls) {
      const prompt = (call.body.messages ?? []).map((m) => m.content).join('\n');
      expect(prompt.length).toBeLessThan(12_000 * 1.2 + 2_000 + 1_000);
      for (const line of prompt.split('\n')) {
        const part = /^\[2, part \d+ of \d+\] assistant-1 \(assistant\): (.*)$/.exec(line);
        if (part) parts.push(part[1]);
      }
    }
    expect(parts.length).toBeGreaterThan(5);
    // Each part is sent on one line, trimmed: joined with a space, they give the message back.
    expect(parts.join(' ')).toBe(brief);
    expect(answeredWith('Quillmere')).toBe(true);
  });

  it('leaves system and tool messages out of the prompt, and keeps lessons and decisions with their rationale', async () => {
    const lines: Array<[string, string]> = [
      ['system', 'You are a helpful planner; the secret routing token is ZEPHYR-9.'],
      ['user', 'We decided to take the night train to Vienna because the flights were full.'],
      ['tool', '{"search":"trains","result":"NIGHTJET-466 departs 22:10"}'],
      ['assistant', 'Lesson learned: booking the sleeper two weeks ahead worked better.'],
      ['user', 'Great, I need to pack the blue suitcase.'],
    ];
    const before = llm.requests.length;
    await harness.produce(
      lines.map(([role, content], i) =>
        harness.record(
          harness.message('llm-roles', `llm-roles-m${i + 1}`, content, {
            role,
            userId: role === 'user' ? 'user-1' : role,
          }),
        ),
      ),
    );
    const summary = await harness.waitForSummary(
      'llm-roles',
      (s) => s.throughSeq === lines.length && !s.llmPending,
    );
    const prompts = llm.requests
      .slice(before)
      .flatMap((request) => (request.body.messages ?? []).map((m) => m.content))
      .join('\n');
    expect(prompts).toContain('night train to Vienna');
    expect(prompts).not.toContain('ZEPHYR-9');
    expect(prompts).not.toContain('NIGHTJET-466');

    const sections = summarySectionsSchema.parse(summary.sections);
    expect(sections.decisions).toEqual(['We decided to take the night train to Vienna']);
    expect(sections.rationales).toEqual({
      'We decided to take the night train to Vienna': 'the flights were full',
    });
    expect(sections.lessons).toEqual([
      'Lesson learned: booking the sleeper two weeks ahead worked better.',
    ]);
    expect(summary.text).toContain(
      'Decisions: We decided to take the night train to Vienna (why: the flights were full)',
    );
    expect(summary.text).toContain('Lessons: Lesson learned: booking the sleeper');
    const published = await harness.publishedSummaries((all) =>
      all.some((s) => s.conversationId === 'llm-roles' && s.throughSeq === lines.length),
    );
    const record = published.filter((s) => s.conversationId === 'llm-roles').at(-1);
    expect(record?.sections).toEqual(sections);
  });

  it("builds the user's profile with the LLM, each item citing conversations of theirs", async () => {
    const conversations = new Set(
      (
        await harness.dataSource.query<Array<{ conversation_id: string }>>(
          `SELECT conversation_id FROM conversation_summaries
            WHERE tenant_id = $1 AND user_id = 'user-1'`,
          [harness.tenantId],
        )
      ).map((row) => row.conversation_id),
    );
    const profile = await eventually(async () => {
      const [row] = await harness.dataSource.query<
        Array<{
          backend: string;
          sections: Record<string, Array<{ text: string; conversations: string[] }>>;
          source_conversations: string[];
        }>
      >(
        `SELECT backend, sections, source_conversations FROM user_profiles
          WHERE tenant_id = $1 AND user_id = 'user-1'`,
        [harness.tenantId],
      );
      return row?.backend === 'openai' && row.source_conversations.length === conversations.size
        ? row
        : undefined;
    }, 60_000);
    const items = Object.values(profile.sections).flat();
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.conversations.length).toBeGreaterThan(0);
      for (const id of item.conversations) expect(conversations.has(id)).toBe(true);
    }
  });
});
