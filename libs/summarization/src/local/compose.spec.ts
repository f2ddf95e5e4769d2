import { emptySections, renderSummaryText } from '@memory/contracts';
import { RankedSummary, fitToBudget, overallMood } from './compose';
import { LocalState } from './local-state';

function ranked(overrides: Partial<RankedSummary> = {}): RankedSummary {
  return {
    contexts: [
      'Conversation between ana and ben on 8 March 2024 about the move, movers and flights.',
      'Conversation between ana and ben on 8 March 2024.',
    ],
    sentences: [
      { section: 'keyPoints', text: 'ana: The team moves to the Porto office in June.' },
      { section: 'decisions', text: 'ben: We decided to keep the Lisbon office until July.' },
      { section: 'keyPoints', text: 'ben: The movers need the floor plan by Friday.' },
      { section: 'actionItems', text: "ana: I'll book twelve flights to Porto tomorrow." },
      { section: 'keyPoints', text: 'ana: The new desks arrive on 3 June.' },
    ],
    openQuestions: ['ben: Who pays for the parking permits?'],
    entities: ['Porto', 'Lisbon', 'TAP'],
    dates: ['June', 'tomorrow (9 March 2024)', '3 June'],
    numbers: ['twelve flights'],
    mood: 'excited',
    ...overrides,
  };
}

describe(fitToBudget.name, () => {
  it('keeps everything when the budget allows', () => {
    const sections = fitToBudget(ranked(), 10_000);

    expect(sections.context).toBe(ranked().contexts[0]);
    expect(sections.keyPoints).toHaveLength(3);
    expect(sections.decisions).toHaveLength(1);
    expect(sections.actionItems).toHaveLength(1);
    expect(sections.entities).toEqual(['Porto', 'Lisbon', 'TAP']);
    expect(sections.mood).toBe('excited');
  });

  it.each([0, 5, 30, 60, 100, 150, 200, 250, 300, 400, 500])(
    'never renders more than the budget (%i)',
    (budget) => {
      expect(renderSummaryText(fitToBudget(ranked(), budget)).length).toBeLessThanOrEqual(budget);
    },
  );

  it('drops the lowest-ranked items first and keeps rank order', () => {
    const all = fitToBudget(ranked(), 10_000);
    const some = fitToBudget(ranked(), 320);

    expect(some.keyPoints.length).toBeGreaterThan(0);
    expect(some.keyPoints).toEqual(all.keyPoints.slice(0, some.keyPoints.length));
    expect(some.keyPoints[0]).toBe('ana: The team moves to the Porto office in June.');
  });

  it('shortens the context line, then leaves it out, as the budget shrinks', () => {
    expect(fitToBudget(ranked(), 300).context).toBe(ranked().contexts[1]);
    expect(fitToBudget(ranked(), 120).context).toBe('');
  });

  it('gives an empty summary when nothing fits', () => {
    expect(fitToBudget(ranked(), 10)).toEqual(emptySections());
    expect(
      fitToBudget(
        ranked({ sentences: [], openQuestions: [], entities: [], dates: [], numbers: [] }),
        500,
      ),
    ).toEqual(emptySections());
  });
});

describe(overallMood.name, () => {
  const withMoods = (moods: Record<string, number>) => {
    const state = new LocalState();
    for (const [mood, count] of Object.entries(moods)) state.moods.set(mood, count);
    return state;
  };

  it('names the leading mood of a clear side', () => {
    expect(overallMood(withMoods({ frustrated: 3, worried: 1 }))).toBe('frustrated');
    expect(overallMood(withMoods({ positive: 2, excited: 2, grateful: 2 }))).toBe('positive');
  });

  it('stays silent on faint or mixed signals', () => {
    expect(overallMood(withMoods({ positive: 2 }))).toBeNull();
    expect(overallMood(withMoods({ positive: 3, sad: 3 }))).toBeNull();
  });
});
