import { SummarySections, emptySections, renderSummaryText } from '@memory/contracts';
import { fitSections, normalizeSections, parseSummaryReply } from './summary-reply';

describe(parseSummaryReply.name, () => {
  it('reads a complete JSON object', () => {
    const sections: SummarySections = {
      ...emptySections(),
      context: 'Trip planning.',
      keyPoints: ['Flights booked'],
      mood: 'calm',
    };
    expect(parseSummaryReply(JSON.stringify(sections))).toEqual(sections);
  });

  it('tolerates a ```json fence, text around it, missing keys and an empty mood', () => {
    const reply =
      'Here you go:\n```json\n{"context": "Trip.", "dates": ["12 May"], "mood": ""}\n```';
    expect(parseSummaryReply(reply)).toEqual({
      ...emptySections(),
      context: 'Trip.',
      dates: ['12 May'],
    });
  });

  it('ignores unknown keys but needs at least one section key', () => {
    expect(parseSummaryReply('{"context": "Trip.", "summary": "x"}')).toEqual({
      ...emptySections(),
      context: 'Trip.',
    });
    expect(parseSummaryReply('{"summary": "Trip."}')).toBeNull();
  });

  it.each([
    ['prose', 'The user talked about a trip.'],
    ['cut-off JSON', '{"context": "Trip", "keyPoints": ["a'],
    ['an array', '[{"context": "Trip"}]'],
    ['a wrong type', '{"context": 42}'],
    ['a list that is not one', '{"context": "Trip", "keyPoints": "Flights booked"}'],
    ['a list of non-strings', '{"keyPoints": [1, 2]}'],
  ])('rejects %s', (_label, reply) => {
    expect(parseSummaryReply(reply)).toBeNull();
  });
});

describe('decisions with a rationale, and lessons (sections 1.1)', () => {
  it('reads decisions given as objects, keeping each rationale by its decision', () => {
    const sections = parseSummaryReply(
      JSON.stringify({
        context: 'Moving house.',
        decisions: [
          { decision: 'Rent a van', rationale: 'the car is too small' },
          { text: 'Move on Saturday', why: null },
          'Keep the sofa',
        ],
        lessons: ['Measure the doorway first'],
      }),
    );
    expect(sections).toMatchObject({
      decisions: ['Rent a van', 'Move on Saturday', 'Keep the sofa'],
      rationales: { 'Rent a van': 'the car is too small' },
      lessons: ['Measure the doorway first'],
    });
  });

  it('refuses a decision object without its text, and a lesson that is not a string', () => {
    expect(parseSummaryReply('{"decisions": [{"rationale": "why"}]}')).toBeNull();
    expect(parseSummaryReply('{"context": "x", "lessons": [42]}')).toBeNull();
  });

  it('drops the rationale of a decision dropped to fit, and empty optional sections', () => {
    const sections = normalizeSections({
      ...emptySections(),
      decisions: ['  Rent a van ', 'Keep the sofa'],
      rationales: {
        'Rent a van': ' the car is too small ',
        Gone: 'no longer there',
        'Keep the sofa': ' ',
      },
      lessons: [],
    });
    expect(sections.rationales).toEqual({ 'Rent a van': 'the car is too small' });
    expect('lessons' in sections).toBe(false);
    const both: SummarySections = {
      ...emptySections(),
      decisions: ['Rent a van', 'Keep the sofa'],
      rationales: { 'Rent a van': 'the car is too small', 'Keep the sofa': 'it is new' },
    };
    const first = {
      ...both,
      decisions: ['Rent a van'],
      rationales: { 'Rent a van': 'the car is too small' },
    };
    const fitted = fitSections(both, renderSummaryText(first).length);
    expect(fitted).toEqual(first);
  });
});

describe(normalizeSections.name, () => {
  it('trims, collapses whitespace, drops empty items and repeats', () => {
    const result = normalizeSections({
      ...emptySections(),
      context: '  Trip.  ',
      keyPoints: [' Flights  booked ', '', 'flights booked', 'Hotel\nchosen'],
      mood: '  ',
    });
    expect(result).toEqual({
      ...emptySections(),
      context: 'Trip.',
      keyPoints: ['Flights booked', 'Hotel chosen'],
    });
  });
});

describe(fitSections.name, () => {
  const big: SummarySections = {
    context: 'A long trip planning conversation between two friends.',
    keyPoints: Array.from({ length: 12 }, (_, i) => `Key point number ${i + 1}`),
    decisions: ['Go to Lisbon', 'Stay at the Memmo'],
    actionItems: ['Pay the deposit'],
    openQuestions: [],
    entities: Array.from({ length: 8 }, (_, i) => `Entity ${i + 1}`),
    dates: ['12 May'],
    numbers: ['$1,200 budget'],
    mood: 'excited',
  };

  it('leaves sections that fit alone', () => {
    expect(fitSections(big, 10_000)).toEqual(big);
  });

  it('drops the ends of the longest lists first, deterministically', () => {
    const fitted = fitSections(big, 300);

    expect(renderSummaryText(fitted).length).toBeLessThanOrEqual(300);
    expect(fitted).toEqual(fitSections(big, 300));
    expect(fitted.context).toBe(big.context);
    expect(fitted.decisions).toEqual(big.decisions);
    expect(fitted.keyPoints).toEqual(big.keyPoints.slice(0, fitted.keyPoints.length));
    expect(fitted.keyPoints.length).toBeLessThan(big.keyPoints.length);
    expect(big.keyPoints).toHaveLength(12);
  });

  it('cuts an over-long context at a word boundary when nothing else is left', () => {
    const fitted = fitSections({ ...emptySections(), context: 'word '.repeat(100).trim() }, 41);

    expect(fitted.context.length).toBeLessThanOrEqual(41);
    expect(fitted.context).toMatch(/^(word )+word…$/);
  });
});
