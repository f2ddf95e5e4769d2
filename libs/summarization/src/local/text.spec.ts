import {
  cleanSentence,
  contentTerms,
  jaccard,
  normalizeText,
  splitClauses,
  splitSentences,
  stem,
  truncate,
} from './text';

const noNames = () => false;

describe('splitSentences', () => {
  it('splits at sentence ends and line breaks, keeping abbreviations', () => {
    expect(splitSentences('I met Dr. Lee. He was kind!\nWhat now? Ok').map((s) => s.text)).toEqual([
      'I met Dr. Lee.',
      'He was kind!',
      'What now?',
      'Ok',
    ]);
  });

  it('keeps a bracketed aside as a sentence of its own', () => {
    expect(splitSentences('Look at this! [shared a photo: a cat on a sofa]')).toEqual([
      { text: 'Look at this!', aside: false },
      { text: 'shared a photo: a cat on a sofa', aside: true },
    ]);
  });
});

describe('splitClauses', () => {
  it('splits where a new clause starts', () => {
    expect(
      splitClauses('I went to the fair yesterday, and it was great - so much music; loved it'),
    ).toEqual(['I went to the fair yesterday', 'and it was great', 'so much music', 'loved it']);
  });

  it('keeps lists together', () => {
    expect(splitClauses('I like painting, hiking, and swimming.')).toEqual([
      'I like painting, hiking, and swimming.',
    ]);
  });
});

describe('cleanSentence', () => {
  it('drops fillers, vocatives and small talk', () => {
    const isName = (word: string) => word === 'Anna';
    expect(cleanSentence('Wow, Anna, I finally adopted a puppy!!', isName)).toBe(
      'I finally adopted a puppy!',
    );
    expect(cleanSentence('Hey Sam! Great to see you', noNames)).toBe('');
    expect(cleanSentence('That is amazing, Anna.', isName)).toBe('That is amazing.');
    expect(cleanSentence('I really just love it', noNames)).toBe('I love it');
  });

  it('shortens caption boilerplate', () => {
    expect(cleanSentence('shared a photo: a photo of a red bike', noNames)).toBe(
      'Shared a photo of a red bike',
    );
  });
});

describe('contentTerms', () => {
  it('keeps content words only, stemmed', () => {
    expect(contentTerms('Thanks! I painted two paintings of the lake yesterday.')).toEqual([
      'paint',
      'lake',
    ]);
  });

  it('finds nothing in small talk', () => {
    expect(contentTerms('Hi! Nice to meet you, thanks a lot, see you later :)')).toEqual([]);
  });
});

describe('text helpers', () => {
  it('normalises emoji, quotes and spaces', () => {
    expect(normalizeText('It’s   great 🎉🎉 “yes”')).toBe('It\'s great "yes"');
  });

  it('stems inflections to one key', () => {
    expect(['paintings', 'painted', 'painting'].map(stem)).toEqual(['paint', 'paint', 'paint']);
    expect(stem('running')).toBe('run');
    expect(stem('stories')).toBe('story');
  });

  it('cuts at a word boundary', () => {
    expect(truncate('the quick brown fox jumps', 16)).toBe('the quick brown…');
    expect(truncate('short', 16)).toBe('short');
  });

  it('measures term overlap', () => {
    expect(jaccard(['a', 'b'], ['b', 'c'])).toBeCloseTo(1 / 3);
  });
});
