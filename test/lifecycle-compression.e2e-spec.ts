import { randomUUID } from 'node:crypto';
import { EnvReader, readDatabaseConfig } from '@memory/config';
import { renderSummaryText, SummarySections } from '@memory/contracts';
import { CompressionStore, DEFAULT_TIER_POLICY, KeepPolicy } from '@memory/lifecycle';
import { dataSourceOptions } from '@memory/persistence';
import { SummaryStore } from '@memory/summarization';
import { DataSource } from 'typeorm';
import { TEST_DATABASE_URL } from './support/test-database';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const DAY = 86_400_000;

const SECTIONS: SummarySections = {
  context: 'Conversation between Ana and Ben on 3 March 2025 about the office move. Long talk.',
  keyPoints: [
    'Ana: the lease on Harbour Street ends in June',
    'Ben: the Elm Park building has room for forty desks',
    'Ana: movers quoted 12,000 euros',
    'Ben: the parking garage closes at nine',
    'Ana: the landlord wants a five-year contract',
  ],
  decisions: ['They chose Elm Park'],
  actionItems: ['Ben books the movers', 'Ana tells the staff'],
  openQuestions: [],
  entities: ['Ana', 'Ben', 'Harbour Street', 'Elm Park'],
  dates: ['June', '3 March 2025'],
  numbers: ['forty desks', '12,000 euros'],
  mood: 'optimistic',
};

/*
 * Compression against the real Postgres (schema by the migrations): summaries back-dated by
 * their last message land in their tier, compressions are recorded, a pin keeps a conversation
 * richer, two compressors never both compress one conversation, and new activity folds on from
 * the full summary back at `full`.
 */
describe('lifecycle compression (Postgres)', () => {
  const tenantId = `e2e-${randomUUID().slice(0, 8)}`;
  const dataSource = new DataSource(
    dataSourceOptions(readDatabaseConfig(new EnvReader({ DATABASE_URL: TEST_DATABASE_URL }))),
  );
  const store = new CompressionStore(dataSource);

  const insert = async (conversationId: string, daysAgo: number, pinned = false) => {
    const last = new Date(NOW.getTime() - daysAgo * DAY);
    await dataSource.query(
      `INSERT INTO conversation_summaries (tenant_id, conversation_id, user_id, version,
         through_seq, seen_seq, tier, text, sections, first_message_at, last_message_at,
         published_version, pinned)
       VALUES ($1, $2, 'ana', 3, 30, 30, 'full', $3, $4, $5, $5, 3, $6)`,
      [
        tenantId,
        conversationId,
        renderSummaryText(SECTIONS),
        JSON.stringify(SECTIONS),
        last,
        pinned,
      ],
    );
  };
  const row = async (conversationId: string) => {
    const [found] = await dataSource.query<
      Array<{ tier: string; version: number; sections: SummarySections; full_sections: unknown }>
    >(
      `SELECT tier, version, sections, full_sections FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return found;
  };
  // A keep tier of metadata holds nothing back: the importance stretch alone decides.
  const NO_HOLD: KeepPolicy = { importance: 0.8, tier: 'metadata' };
  const pass = async () => {
    const outcomes: Record<string, string> = {};
    for (const candidate of await store.candidates(
      NOW,
      DEFAULT_TIER_POLICY.keyPointsAfterDays,
      100,
      undefined,
      tenantId,
    ))
      outcomes[candidate.conversationId] = (
        await store.compress(candidate, NOW, DEFAULT_TIER_POLICY, NO_HOLD)
      ).status;
    return outcomes;
  };

  beforeAll(async () => {
    await dataSource.initialize();
    await insert('fresh', 3);
    await insert('week', 10);
    await insert('month', 60);
    await insert('year', 400);
    await insert('pinned', 400, true);
  });

  afterAll(async () => {
    await dataSource.query('DELETE FROM summary_compressions WHERE tenant_id = $1', [tenantId]);
    await dataSource.query('DELETE FROM summary_versions WHERE tenant_id = $1', [tenantId]);
    await dataSource.query('DELETE FROM conversation_summaries WHERE tenant_id = $1', [tenantId]);
    await dataSource.destroy();
  });

  it('puts every conversation in the tier its age calls for, once', async () => {
    expect(await pass()).toEqual({
      week: 'compressed',
      month: 'compressed',
      year: 'compressed',
      pinned: 'compressed',
    });
    expect((await row('fresh'))?.tier).toBe('full');
    expect((await row('week'))?.tier).toBe('key_points');
    expect((await row('month'))?.tier).toBe('brief');
    expect((await row('year'))?.tier).toBe('metadata');
    // Pinned: every threshold doubled, so 400 days is still brief, not metadata.
    expect((await row('pinned'))?.tier).toBe('brief');

    const year = await row('year');
    expect(year?.version).toBe(4);
    expect(year?.full_sections).toEqual(SECTIONS);
    expect(year?.sections.keyPoints).toEqual([]);
    expect(year?.sections.entities).toEqual(SECTIONS.entities);

    const recorded = await dataSource.query<
      Array<{ conversation_id: string; to_tier: string; ratio: number; retention: number }>
    >(
      `SELECT conversation_id, to_tier, ratio, retention FROM summary_compressions
        WHERE tenant_id = $1 ORDER BY ratio DESC`,
      [tenantId],
    );
    expect(recorded.map((r) => r.to_tier)).toEqual(['key_points', 'brief', 'brief', 'metadata']);
    for (const r of recorded) {
      expect(r.ratio).toBeGreaterThan(0);
      expect(r.ratio).toBeLessThan(1);
      expect(r.retention).toBeGreaterThan(0);
      expect(r.retention).toBeLessThan(1);
    }
    const lineage = await dataSource.query<Array<{ trigger: string }>>(
      `SELECT trigger FROM summary_versions WHERE tenant_id = $1 AND conversation_id = 'year'`,
      [tenantId],
    );
    expect(lineage).toEqual([{ trigger: 'compress' }]);

    // A second pass finds nothing to do.
    expect(Object.values(await pass()).every((status) => status === 'not_due')).toBe(true);
  });

  it('holds a pinned conversation at the keep tier, full by default', async () => {
    await insert('kept', 800, true);
    const key = { tenantId, conversationId: 'kept' };
    expect(await store.compress(key, NOW, DEFAULT_TIER_POLICY)).toEqual({ status: 'not_due' });
    expect((await row('kept'))?.tier).toBe('full');
    const held = await store.compress(key, NOW, DEFAULT_TIER_POLICY, {
      importance: 0.8,
      tier: 'key_points',
    });
    expect(held).toMatchObject({ status: 'compressed', change: { toTier: 'key_points' } });
    expect((await row('kept'))?.tier).toBe('key_points');
  });

  it('cuts a colder tier from the full summary, not from the previous cut', async () => {
    const later = new Date(NOW.getTime() + 400 * DAY);
    const outcome = await store.compress(
      { tenantId, conversationId: 'week' },
      later,
      DEFAULT_TIER_POLICY,
    );
    expect(outcome.status).toBe('compressed');
    if (outcome.status !== 'compressed') return;
    expect(outcome.change).toMatchObject({ fromTier: 'key_points', toTier: 'metadata' });
    expect(outcome.summary.tier).toBe('metadata');
    expect(outcome.summary.sections.entities).toEqual(SECTIONS.entities);
    expect((await row('week'))?.full_sections).toEqual(SECTIONS);
  });

  it('lets only one of two concurrent compressors compress a conversation', async () => {
    await insert('race', 40);
    const outcomes = await Promise.all([
      store.compress({ tenantId, conversationId: 'race' }, NOW, DEFAULT_TIER_POLICY),
      store.compress({ tenantId, conversationId: 'race' }, NOW, DEFAULT_TIER_POLICY),
    ]);
    // One compresses; the other finds the row locked (busy) or, if it came second, not due.
    const statuses = outcomes.map((o) => o.status);
    expect(statuses.filter((status) => status === 'compressed')).toHaveLength(1);
    expect(['busy', 'not_due']).toContain(statuses.find((status) => status !== 'compressed'));
    expect((await row('race'))?.version).toBe(4);
  });

  it('brings a compressed conversation back to full when a fold continues it', async () => {
    const summaries = new SummaryStore(dataSource);
    const current = await summaries.load(tenantId, 'month');
    if (!current) throw new Error('no row');
    expect(current.fullSections).toEqual(SECTIONS);
    const next = { ...SECTIONS, keyPoints: [...SECTIONS.keyPoints, 'Ana: the move is done'] };
    const cost = { inputTokens: 0, outputTokens: 0, inputChars: 1, outputChars: 1, durationMs: 1 };
    const saved = await summaries.saveVersion(current, {
      version: current.version + 1,
      fromSeq: 31,
      throughSeq: 31,
      text: renderSummaryText(next),
      sections: next,
      memo: null,
      backend: 'local',
      llmPending: false,
      llmBase: null,
      trigger: 'count',
      messageCount: 31,
      cost,
      totalCost: cost,
    });
    expect(saved.tier).toBe('full');
    expect(saved.fullSections).toBeNull();
    expect(saved.sections).toEqual(next);
  });
});
