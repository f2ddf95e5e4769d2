import { IMPORTANCE_WEIGHTS, importanceScore, ImportanceFacts } from './importance';

const NONE: ImportanceFacts = {
  pinned: false,
  messageCount: 0,
  speakerChanges: 0,
  decisions: 0,
  actionItems: 0,
  entities: 0,
  recentReads: 0,
};

describe(importanceScore.name, () => {
  it('weights add up to 1, so the score stays in 0..1', () => {
    const total = Object.values(IMPORTANCE_WEIGHTS).reduce((sum, weight) => sum + weight, 0);
    expect(total).toBeCloseTo(1, 10);
    expect(importanceScore(NONE)).toBe(0);
    expect(
      importanceScore({
        pinned: false,
        messageCount: 5_000,
        speakerChanges: 4_999,
        decisions: 40,
        actionItems: 40,
        entities: 400,
        recentReads: 90,
      }),
    ).toBe(1);
  });

  it('is 1 for a pinned conversation whatever else', () => {
    expect(importanceScore({ ...NONE, pinned: true })).toBe(1);
  });

  it('ranks a long discussion with decisions above small talk', () => {
    const smallTalk = importanceScore({ ...NONE, messageCount: 4, speakerChanges: 3 });
    const planning = importanceScore({
      ...NONE,
      messageCount: 60,
      speakerChanges: 55,
      decisions: 2,
      actionItems: 3,
      entities: 6,
    });
    expect(planning).toBeGreaterThan(smallTalk);
    expect(planning).toBeGreaterThan(0.5);
    expect(smallTalk).toBeLessThan(0.15);
  });

  it('counts a monologue as less of an exchange than a dialogue of the same length', () => {
    const monologue = importanceScore({ ...NONE, messageCount: 50, speakerChanges: 0 });
    const dialogue = importanceScore({ ...NONE, messageCount: 50, speakerChanges: 49 });
    expect(dialogue - monologue).toBeCloseTo(
      IMPORTANCE_WEIGHTS.exchange * (Math.log10(51) / Math.log10(201)),
      2,
    );
  });

  it('raises a conversation that is read again', () => {
    const base = { ...NONE, messageCount: 20, speakerChanges: 19 };
    expect(importanceScore({ ...base, recentReads: 5 })).toBeCloseTo(
      importanceScore(base) + IMPORTANCE_WEIGHTS.reads,
      2,
    );
  });

  it('ignores negative counts', () => {
    expect(importanceScore({ ...NONE, messageCount: -3, decisions: -1, recentReads: -9 })).toBe(0);
  });
});
