import {
  emptySections,
  renderSummaryText,
  sectionsAsVersion,
  SummarySections,
  summarySectionsSchema,
} from './memory-summary.schema';

const V11: SummarySections = {
  ...emptySections(),
  context: 'Moving house.',
  keyPoints: ['The sofa is 2 m long'],
  decisions: ['Rent a van', 'Move on Saturday'],
  rationales: { 'Rent a van': 'the car is too small' },
  lessons: ['Measure the doorway first'],
};

describe('summary sections 1.1', () => {
  it('renders lessons and each decision with its rationale', () => {
    expect(renderSummaryText(V11)).toBe(
      'Moving house.\nKey points: The sofa is 2 m long\n' +
        'Decisions: Rent a van (why: the car is too small); Move on Saturday\n' +
        'Lessons: Measure the doorway first',
    );
  });

  it('still reads 1.0 sections, which lack both keys', () => {
    expect(summarySectionsSchema.parse(emptySections())).toEqual(emptySections());
  });

  it('writes 1.0 for older readers: lessons as key points, rationales in the decision text', () => {
    const v10 = sectionsAsVersion(V11, '1.0');
    const strict10 = summarySectionsSchema.omit({ lessons: true, rationales: true }).strict();
    expect(strict10.parse(v10)).toEqual({
      ...emptySections(),
      context: 'Moving house.',
      keyPoints: ['The sofa is 2 m long', 'Lesson: Measure the doorway first'],
      decisions: ['Rent a van (why: the car is too small)', 'Move on Saturday'],
    });
    // Rendered alike, but for the heading of the lessons.
    expect(renderSummaryText(v10)).toContain('Rent a van (why: the car is too small)');
  });

  it('leaves out empty optional sections and rationales of decisions that are gone', () => {
    const trimmed = sectionsAsVersion(
      { ...V11, lessons: [], decisions: ['Move on Saturday'] },
      '1.1',
    );
    expect('lessons' in trimmed || 'rationales' in trimmed).toBe(false);
  });
});
