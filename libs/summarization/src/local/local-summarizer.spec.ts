import { SummarySections, emptySections, renderSummaryText } from '@memory/contracts';
import { prng } from '@memory/datasets';
import { FoldResult, SummaryDraft, SummaryInputMessage } from '../summarizer-backend';
import { LocalSummarizer, LocalSummarizerOptions } from './local-summarizer';

// Friday 8 March 2024, 10:00 UTC.
const AT = '2024-03-08T10:00:00.000Z';

function setup(options: LocalSummarizerOptions = {}) {
  return { summarizer: new LocalSummarizer(options) };
}

/** Messages from [userId, content] pairs ("assistant" gets the assistant role). */
function chat(turns: Array<[string, string]>, firstSeq = 1): SummaryInputMessage[] {
  return turns.map(([userId, content], i) => ({
    seq: firstSeq + i,
    role: userId === 'assistant' ? 'assistant' : 'user',
    userId,
    content,
    createdAt: AT,
  }));
}

function draft(result: FoldResult, messageCount: number): SummaryDraft {
  return { sections: result.sections, memo: result.memo, messageCount };
}

/** Folds `messages` `size` at a time, each fold starting from the previous result. */
async function foldInPieces(
  summarizer: LocalSummarizer,
  messages: SummaryInputMessage[],
  size: number,
  maxSummaryChars = 2000,
): Promise<FoldResult> {
  let previous: SummaryDraft | null = null;
  let result: FoldResult | undefined;
  for (let i = 0; i < messages.length; i += size) {
    result = await summarizer.fold(previous, messages.slice(i, i + size), { maxSummaryChars });
    previous = draft(result, i + size);
  }
  if (!result) throw new Error('nothing folded');
  return result;
}

/**
 * A long made-up conversation: an open vocabulary of invented words, names and places (so
 * every capped collection of the memo fills up), numbers, dates, questions and plans.
 */
function generatedChat(count: number, seed = 7): SummaryInputMessage[] {
  const next = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vo', 'zen', 'dor', 'pli', 'gu', 'sha', 'nek'];
  const word = () => pick(syllables) + pick(syllables) + pick(syllables);
  const name = () => {
    const w = word();
    return w[0].toUpperCase() + w.slice(1);
  };
  const templates = [
    () => `I bought ${2 + Math.floor(next() * 9)} ${word()}s in ${name()} last week.`,
    () => `We decided to go with the ${word()} plan for the ${word()} project.`,
    () => `I'll send the ${word()} report to ${name()} ${name()} by next Friday.`,
    () => `Should we move the ${word()} ${word()} to ${name()}?`,
    () =>
      `The ${word()} costs $${100 + Math.floor(next() * 900)} and takes ${1 + Math.floor(next() * 5)} hours.`,
    () => `My sister visited the ${word()} museum in ${name()} yesterday.`,
    () => 'Thanks, sounds good!',
  ];
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    role: 'user' as const,
    userId: i % 2 === 0 ? 'ana' : 'ben',
    content: `${pick(templates)()} ${pick(templates)()}`,
    createdAt: new Date(Date.parse(AT) + i * 60_000).toISOString(),
  }));
}

const WORK_CHAT = chat([
  ['ana', 'Hi Ben! I met Dr. Laura Chen at Acme Robotics in Berlin last week.'],
  ['ben', 'Nice. We decided to go with Postgres for the billing service.'],
  ['ana', "Great. I'll send the signed contract to Maria by next Friday."],
  ['ben', 'The budget is $1,200 and the venue fits 3 kids per table, with 20% off.'],
  ['ana', 'Remind me to book the 5 km charity race on 8 May 2024. Call me tomorrow at 3pm.'],
  ['ben', 'Should we migrate the old invoices to the Lisbon warehouse?'],
  ['ana', 'The ramen place downtown was delicious.'],
]);

const TRIP_CHAT_TURNS: Array<[string, string]> = [
  ['ben', 'Back to the family trip: my parents want to see the Algarve coast in August.'],
  ['ana', 'We rented a house in Lagos for two weeks last summer and the kids loved it.'],
  ['ben', 'The house my cousin recommended costs $2,100 for ten nights.'],
  ['ana', 'That is fine. Does it have a pool for the kids?'],
  ['ben', 'It has a small pool and a garden, and the beach is a 10 minute walk.'],
  ['ana', 'Then we decided: we book the house for 10 to 20 August.'],
  ['ben', "I'll pay the deposit tomorrow and email the owner about parking."],
  ['ana', 'My brother Tomas may join us for the first weekend with his dog.'],
  ['ben', 'Dogs are allowed, the listing says so. I checked it yesterday.'],
  ['ana', 'We also need a car seat for the youngest; the rental company charges $40.'],
  ['ben', 'I will bring our own car seat instead, it fits in the trunk.'],
  ['ana', 'Perfect. Mum is thrilled, she has not been to Portugal since 1998.'],
];

describe(LocalSummarizer.name, () => {
  describe('nothing worth keeping', () => {
    it('turns greetings, thanks and acknowledgements into empty sections', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await summarizer.fold(
        null,
        chat([
          ['ana', 'hi'],
          ['ben', 'hello!'],
          ['ana', 'thanks a lot'],
          ['ben', 'ok'],
          ['ana', 'bye 👋'],
          ['ben', '👍🙂'],
          ['ana', 'Thank you so much!'],
          ['ben', 'Good morning! Nice to meet you.'],
          ['ana', 'Hey Ben! How are you?'],
          ['ben', 'lol, see you later!'],
        ]),
        { maxSummaryChars: 2000 },
      );

      expect(result.sections).toEqual(emptySections());
      expect(renderSummaryText(result.sections)).toBe('');
      expect(result.cost.outputChars).toBe(0);
    });

    it('stays empty when only small talk follows', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const first = await summarizer.fold(null, chat([['ana', 'hey there!']]), {
        maxSummaryChars: 2000,
      });
      const second = await summarizer.fold(draft(first, 1), chat([['ben', 'ok, bye!']], 2), {
        maxSummaryChars: 2000,
      });

      expect(second.sections).toEqual(emptySections());
    });
  });

  describe('extraction', () => {
    let sections: SummarySections;

    beforeAll(async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      sections = (await summarizer.fold(null, WORK_CHAT, { maxSummaryChars: 4000 })).sections;
    });

    it('keeps decisions', () => {
      expect(sections.decisions).toEqual([
        'ben: We decided to go with Postgres for the billing service.',
      ]);
    });

    it('keeps commitments and reminders as action items', () => {
      expect(sections.actionItems).toEqual(
        expect.arrayContaining([
          "ana: I'll send the signed contract to Maria by next Friday.",
          'ana: Remind me to book the 5 km charity race on 8 May 2024.',
        ]),
      );
    });

    it('keeps an unanswered question open', () => {
      expect(sections.openQuestions).toEqual([
        'ben: Should we migrate the old invoices to the Lisbon warehouse?',
      ]);
    });

    it('names people, places and organisations, not the participants', () => {
      expect(sections.entities).toEqual(
        expect.arrayContaining(['Laura Chen', 'Acme Robotics', 'Berlin', 'Maria', 'Lisbon']),
      );
      expect(sections.entities).not.toContain('Ben');
      expect(sections.entities).not.toContain('Dr');
    });

    it('keeps dates as written, with the day a relative one points at', () => {
      expect(sections.dates).toEqual(
        expect.arrayContaining([
          'last week (week of 26 February 2024)',
          'next Friday (15 March 2024)',
          '8 May 2024',
          'tomorrow at 3pm (9 March 2024)',
        ]),
      );
    });

    it('keeps numbers with what they count', () => {
      expect(sections.numbers).toEqual(expect.arrayContaining(['$1,200', '3 kids', '5 km', '20%']));
    });

    it('keeps the other statements as key points, with their speaker', () => {
      expect(sections.keyPoints).toEqual(
        expect.arrayContaining([
          'ana: I met Dr. Laura Chen at Acme Robotics in Berlin last week.',
          'ben: The budget is $1,200 and the venue fits 3 kids per table, with 20% off.',
        ]),
      );
      expect(sections.keyPoints.join(' ')).not.toMatch(/\bHi\b/);
    });

    it('says who talked and when', () => {
      expect(sections.context).toMatch(
        /^Conversation between (ana and ben|ben and ana) on 8 March 2024/,
      );
    });
  });

  describe('open questions', () => {
    it('drops a question another speaker answers', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await summarizer.fold(
        null,
        chat([
          ['ana', 'Which hotel did you book in Lisbon for the conference?'],
          ['ben', 'I booked the Memmo hotel near the river.'],
        ]),
        { maxSummaryChars: 2000 },
      );

      expect(result.sections.openQuestions).toEqual([]);
      expect(result.sections.keyPoints).toEqual(['ben: I booked the Memmo hotel near the river.']);
    });

    it('drops a question a later fold answers', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const first = await summarizer.fold(
        null,
        chat([
          ['ana', 'When does the quarterly audit of the warehouse start?'],
          ['ben', 'Lunch at the ramen place was delicious.'],
        ]),
        { maxSummaryChars: 2000 },
      );
      expect(first.sections.openQuestions).toHaveLength(1);

      const second = await summarizer.fold(
        draft(first, 2),
        chat([['ben', 'The audit starts on Monday with the inventory team.']], 3),
        { maxSummaryChars: 2000 },
      );
      expect(second.sections.openQuestions).toEqual([]);
    });

    it('does not keep small-talk questions', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await summarizer.fold(
        null,
        chat([
          ['ana', 'How are you? What is up?'],
          ['ben', 'I repaired the garden fence this morning.'],
        ]),
        { maxSummaryChars: 2000 },
      );

      expect(result.sections.openQuestions).toEqual([]);
    });
  });

  describe('tone', () => {
    it('names a clear mood', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await summarizer.fold(
        null,
        chat([
          ['ana', 'The printer driver still doesn’t work after the update. So frustrating.'],
          ['ana', 'This is ridiculous, I reinstalled the spooler twice.'],
          ['assistant', 'Sorry about that. Try removing the old driver package first.'],
          ['ana', 'I am really annoyed, the invoice run is blocked.'],
        ]),
        { maxSummaryChars: 2000 },
      );

      expect(result.sections.mood).toBe('frustrated');
    });

    it('leaves the mood out when the tone is mixed or faint', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await summarizer.fold(null, WORK_CHAT, { maxSummaryChars: 2000 });

      expect(result.sections.mood).toBeNull();
    });
  });

  describe('budget', () => {
    const long = generatedChat(300);

    it.each([0, 10, 40, 80, 150, 300, 700, 2000, 100_000])(
      'renders at most maxSummaryChars (%i)',
      async (maxSummaryChars) => {
        const { summarizer } = setup({ maxInputRatio: 10 });
        const result = await foldInPieces(summarizer, long, 10, maxSummaryChars);

        expect(renderSummaryText(result.sections).length).toBeLessThanOrEqual(maxSummaryChars);
        expect(result.cost.outputChars).toBe(renderSummaryText(result.sections).length);
      },
    );

    it('uses a large budget, key points taking the largest share', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const result = await foldInPieces(summarizer, long, 10, 2000);
      const text = renderSummaryText(result.sections);
      const keyPoints = renderSummaryText({
        ...emptySections(),
        keyPoints: result.sections.keyPoints,
      });

      expect(text.length).toBeGreaterThan(1500);
      for (const key of ['decisions', 'actionItems', 'entities', 'dates', 'numbers'] as const) {
        const items = result.sections[key];
        expect(items.length).toBeGreaterThan(0);
        expect(renderSummaryText({ ...emptySections(), [key]: items }).length).toBeLessThan(
          keyPoints.length,
        );
      }
    });

    it.each([0.1, 0.2, 0.25])(
      'keeps the summary within %p of the content folded so far',
      async (maxInputRatio) => {
        const { summarizer } = setup({ maxInputRatio });
        const messages = generatedChat(60);
        const content = messages.reduce((sum, m) => sum + m.content.length, 0);
        let previous: SummaryDraft | null = null;
        let folded = 0;
        for (let i = 0; i < messages.length; i += 10) {
          const piece = messages.slice(i, i + 10);
          const result = await summarizer.fold(previous, piece, { maxSummaryChars: 100_000 });
          folded += piece.reduce((sum, m) => sum + m.content.length, 0);
          expect(renderSummaryText(result.sections).length).toBeLessThanOrEqual(
            Math.max(maxInputRatio * folded, Math.min(200, folded / 4)),
          );
          previous = draft(result, i + piece.length);
        }
        expect(renderSummaryText(previous!.sections).length).toBeGreaterThan(
          0.5 * maxInputRatio * content,
        );
      },
    );

    it('gives a short conversation room for a sentence, within a quarter of its length', async () => {
      const { summarizer } = setup();
      const messages = chat([
        ['ana', 'We finally decided to move the whole team to the Porto office in June.'],
        ['ben', 'I will book the movers and the flights for the twelve of us next week.'],
        ['ana', 'The lease for the old Lisbon office ends on 30 June 2024, no extension.'],
        ['ben', 'I already told the landlord and sent the signed termination letter.'],
        ['ana', 'Great, the new desks arrive on 3 June and the network is ready by then.'],
      ]);
      const content = messages.reduce((sum, m) => sum + m.content.length, 0);
      const result = await summarizer.fold(null, messages, { maxSummaryChars: 2000 });
      const length = renderSummaryText(result.sections).length;

      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThanOrEqual(content / 4);
    });
  });

  describe('determinism', () => {
    it('gives the same output for the same input', async () => {
      const messages = generatedChat(120);
      const a = await foldInPieces(setup().summarizer, messages, 10);
      const b = await foldInPieces(setup().summarizer, messages, 10);

      expect(b.sections).toEqual(a.sections);
      expect(b.memo).toEqual(a.memo);
    });

    it('does not change the previous draft it folds from', async () => {
      const { summarizer } = setup();
      const first = await summarizer.fold(null, generatedChat(40), { maxSummaryChars: 2000 });
      const previous = draft(first, 40);
      const snapshot = JSON.parse(JSON.stringify(previous)) as SummaryDraft;
      const next = generatedChat(50).slice(40);

      const a = await summarizer.fold(previous, next, { maxSummaryChars: 2000 });
      const b = await summarizer.fold(previous, next, { maxSummaryChars: 2000 });

      expect(previous).toEqual(snapshot);
      expect(b.sections).toEqual(a.sections);
    });

    it('gives similar results folded in pieces or at once', async () => {
      const messages = [...WORK_CHAT, ...chat(TRIP_CHAT_TURNS, WORK_CHAT.length + 1)];
      const whole = await foldInPieces(setup().summarizer, messages, messages.length);
      const pieces = await foldInPieces(setup().summarizer, messages, 5);

      const shared = pieces.sections.keyPoints.filter((p) => whole.sections.keyPoints.includes(p));
      expect(shared.length).toBeGreaterThanOrEqual(whole.sections.keyPoints.length / 2);
      expect(new Set(pieces.sections.decisions)).toEqual(new Set(whole.sections.decisions));
      expect(pieces.sections.context).toBe(whole.sections.context);
    });
  });

  describe('bounded state', () => {
    it('keeps the memo and the state a fold reads bounded over 5,000 messages', async () => {
      const { summarizer } = setup();
      const messages = generatedChat(5000);
      let previous: SummaryDraft | null = null;
      const memoSizes: number[] = [];
      const inputs: number[] = [];
      for (let i = 0; i < messages.length; i += 10) {
        const result = await summarizer.fold(previous, messages.slice(i, i + 10), {
          maxSummaryChars: 2000,
        });
        memoSizes.push(JSON.stringify(result.memo).length);
        inputs.push(result.cost.inputChars);
        previous = draft(result, i + 10);
      }

      expect(Math.max(...memoSizes)).toBeLessThan(40_000);
      // The state read per fold stops growing once the caps are reached.
      const at1000 = inputs[99];
      const at5000 = inputs[inputs.length - 1];
      expect(at5000).toBeLessThan(1.25 * at1000);
      expect(memoSizes[memoSizes.length - 1]).toBeLessThan(1.25 * memoSizes[99]);
      expect(renderSummaryText(previous!.sections).length).toBeLessThanOrEqual(2000);
    }, 60_000);
  });

  describe('previous summary from another backend', () => {
    const llmDraft: SummaryDraft = {
      sections: {
        ...emptySections(),
        context: 'Ana and Ben plan the move of their team to the Porto office.',
        keyPoints: [
          'The team moves to the Porto office in June.',
          'Ben books the movers and the flights.',
        ],
        decisions: ['Keep the Lisbon office until the lease ends.'],
        entities: ['Porto', 'Lisbon'],
        dates: ['June'],
      },
      memo: { model: 'gpt-4o-mini', notes: 'not a local memo' },
      messageCount: 40,
    };

    it.each([
      ['a foreign memo', llmDraft],
      ['no memo', { ...llmDraft, memo: undefined }],
    ])('starts from the sections when there is %s', async (_, previous) => {
      const { summarizer } = setup();
      const next = chat(
        [
          ['ana', 'The movers confirmed the 14 June slot for the Porto move.'],
          ['ben', 'I booked twelve flights with TAP for 13 June.'],
        ],
        41,
      );
      const result = await summarizer.fold(previous, next, { maxSummaryChars: 2000 });
      const text = renderSummaryText(result.sections);

      expect(text).toContain('Porto');
      expect(text).toMatch(/movers confirmed|booked twelve flights/);
      expect(result.sections.keyPoints.concat(result.sections.decisions)).toEqual(
        expect.arrayContaining(['The team moves to the Porto office in June.']),
      );
      expect(text.length).toBeLessThanOrEqual(2000);
      expect(result.cost.inputChars).toBe(
        renderSummaryText(previous.sections).length +
          next.reduce((sum, m) => sum + m.content.length, 0),
      );

      // The next fold continues from the local memo made now.
      const again = await summarizer.fold(draft(result, 42), chat([['ana', 'ok']], 43), {
        maxSummaryChars: 2000,
      });
      expect(again.sections.keyPoints).toEqual(result.sections.keyPoints);
    });
  });

  describe('roles and cost', () => {
    it('labels the assistant and ignores system and tool messages', async () => {
      const { summarizer } = setup({ maxInputRatio: 10 });
      const messages: SummaryInputMessage[] = [
        {
          seq: 1,
          role: 'system',
          userId: 'sys',
          content: 'You are a travel agent for Zorbtravel Incorporated.',
          createdAt: AT,
        },
        ...chat(
          [
            ['ana', 'I want to fly from Lisbon to Tokyo in October with my two kids.'],
            ['assistant', 'The cheapest option is the TAP flight via Frankfurt for $2,400.'],
          ],
          2,
        ),
        {
          seq: 4,
          role: 'tool',
          userId: 'search',
          content: 'Zorbtravel fare table 77',
          createdAt: AT,
        },
      ];
      const result = await summarizer.fold(null, messages, { maxSummaryChars: 2000 });
      const text = renderSummaryText(result.sections);

      expect(result.sections.context).toMatch(/^Conversation between ana and assistant/);
      expect(result.sections.keyPoints).toEqual(
        expect.arrayContaining([
          'assistant: The cheapest option is the TAP flight via Frankfurt for $2,400.',
        ]),
      );
      expect(text).not.toContain('Zorbtravel');
    });

    it('reports characters, not tokens', async () => {
      const { summarizer } = setup();
      const result = await summarizer.fold(null, WORK_CHAT, { maxSummaryChars: 2000 });

      expect(result.backend).toBe('local');
      expect(result.retries).toBe(0);
      expect(result.cost).toEqual({
        inputTokens: 0,
        outputTokens: 0,
        inputChars: WORK_CHAT.reduce((sum, m) => sum + m.content.length, 0),
        outputChars: renderSummaryText(result.sections).length,
        durationMs: expect.any(Number),
      });
    });

    it('refuses a non-positive ratio', () => {
      expect(() => new LocalSummarizer({ maxInputRatio: 0 })).toThrow(RangeError);
    });
  });
});
