import { ConfigError, EnvReader } from '@memory/config';
import {
  DEFAULT_MILESTONES,
  isTriggerPoint,
  lastTriggerPoint,
  readSummarizationSettings,
  TriggerPolicy,
  triggersFor,
} from './summarization.settings';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const settings = readSummarizationSettings(reader);
  reader.assertValid();
  return settings;
}

describe('summarization settings', () => {
  it('defaults to the local backend, every 10 messages, the milestones and 60 s idle', () => {
    const settings = read({});
    expect(settings).toMatchObject({
      backend: 'local',
      maxSummaryChars: 2000,
      chunkChars: 12000,
      triggers: { everyMessages: 10, idleMs: 60000, milestones: DEFAULT_MILESTONES },
      missingWaitMs: 120000,
      historyVersions: 50,
    });
    expect(settings.llm).toBeUndefined();
  });

  it('reads the LLM settings only with SUMMARY_BACKEND=openai', () => {
    const settings = read({
      SUMMARY_BACKEND: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_MODEL: 'llama3',
    });
    expect(settings.llm).toMatchObject({
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'llama3',
      maxRetries: 4,
    });
  });

  it('leaves system and tool messages out of LLM prompts and writes sections 1.1 unless told', () => {
    const base = { SUMMARY_BACKEND: 'openai' };
    expect(read(base).llm).toMatchObject({ skipRoles: ['system', 'tool'], sectionsVersion: '1.1' });
    expect(
      read({ ...base, SUMMARY_LLM_SKIP_ROLES: 'none', SUMMARY_SECTIONS_VERSION: '1.0' }).llm,
    ).toMatchObject({ skipRoles: [], sectionsVersion: '1.0' });
    expect(read({ ...base, SUMMARY_LLM_SKIP_ROLES: 'tool' }).llm?.skipRoles).toEqual(['tool']);
    for (const [name, value] of [
      ['SUMMARY_LLM_SKIP_ROLES', 'tool,robot'],
      ['SUMMARY_SECTIONS_VERSION', '2.0'],
    ])
      expect(() => read({ ...base, [name]: value })).toThrow(name);
  });

  it('names every wrong variable', () => {
    expect(() =>
      read({
        SUMMARY_BACKEND: 'gpt',
        SUMMARY_MILESTONES: '10,x',
        SUMMARY_TENANT_TRIGGERS: '{"acme": {"everyMessages": "five"}}',
      }),
    ).toThrow(ConfigError);
    try {
      read({
        SUMMARY_BACKEND: 'gpt',
        SUMMARY_MILESTONES: '10,x',
        SUMMARY_TENANT_TRIGGERS: '{"acme": {"everyMessages": "five"}}',
      });
    } catch (error) {
      const variables = (error as ConfigError).problems.map((problem) => problem.variable);
      expect(variables).toEqual([
        'SUMMARY_BACKEND',
        'SUMMARY_MILESTONES',
        'SUMMARY_TENANT_TRIGGERS',
      ]);
    }
  });

  it('lets a tenant override part of the triggers', () => {
    const settings = read({
      SUMMARY_TENANT_TRIGGERS: '{"acme": {"everyMessages": 5, "idleMs": 0}}',
    });
    expect(triggersFor(settings, 'acme')).toEqual({
      everyMessages: 5,
      idleMs: 0,
      milestones: DEFAULT_MILESTONES,
    });
    expect(triggersFor(settings, 'other').everyMessages).toBe(10);
  });
});

describe('trigger points', () => {
  const policy: TriggerPolicy = { everyMessages: 10, idleMs: 0, milestones: [10, 25, 50] };

  it('are every N-th seq and the milestones', () => {
    expect([9, 10, 20, 25, 26, 30].map((seq) => isTriggerPoint(policy, seq))).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
    ]);
  });

  it('gives the highest point in (after, through], or none', () => {
    expect(lastTriggerPoint(policy, 0, 9)).toBeUndefined();
    expect(lastTriggerPoint(policy, 0, 47)).toBe(40);
    expect(lastTriggerPoint(policy, 20, 27)).toBe(25);
    expect(lastTriggerPoint(policy, 25, 29)).toBeUndefined();
    expect(lastTriggerPoint(policy, 8, 12)).toBe(10);
    expect(lastTriggerPoint({ everyMessages: 0, idleMs: 0, milestones: [25] }, 0, 1e9)).toBe(25);
    // Agrees with a scan of every seq.
    for (let after = 0; after < 60; after += 7)
      for (let through = after; through < 80; through += 3) {
        let scanned: number | undefined;
        for (let seq = through; seq > after && scanned === undefined; seq--)
          if (isTriggerPoint(policy, seq)) scanned = seq;
        expect(lastTriggerPoint(policy, after, through)).toBe(scanned);
      }
  });
});
