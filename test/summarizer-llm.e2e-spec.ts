import { FakeLlmServer } from './support/fake-llm-server';
import { locomoTurns, SummarizerHarness } from './support/summarizer-harness';

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
});
