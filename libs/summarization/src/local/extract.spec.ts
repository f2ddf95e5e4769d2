import {
  findDates,
  findEntities,
  findNumbers,
  findPhrases,
  isFirstPersonEvent,
  isReaction,
  moodsOf,
  resolveRelativeDate,
  sentenceKind,
} from './extract';

// Friday 8 March 2024.
const NOW = new Date('2024-03-08T10:00:00.000Z');
const texts = (spans: Array<{ text: string }>) => spans.map((span) => span.text);
const noHistory = { capitalisedInside: () => 0 };

describe('findDates', () => {
  it.each([
    ['We met on 8 May 2023 at the fair.', ['8 May 2023']],
    ['The launch is May 8, 2024 at 9am sharp.', ['May 8, 2024 at 9am']],
    ['See you next Friday.', ['next Friday (15 March 2024)']],
    ['Call me tomorrow at 3pm.', ['tomorrow at 3pm (9 March 2024)']],
    ['I moved here two years ago.', ['two years ago (2022)']],
    ['Last week I fixed the roof.', ['Last week (week of 26 February 2024)']],
    ['We talked last Fri about it.', ['last Fri (1 March 2024)']],
    ['The release is due 2024-04-02.', ['2024-04-02']],
    ['It has been that way since 1998.', ['1998']],
    ['We always go there at Christmas.', ['Christmas']],
  ])('finds the date in %p', (sentence, expected) => {
    expect(texts(findDates(sentence, NOW))).toEqual(expected);
  });

  it('does not read "may" the verb as a month', () => {
    expect(findDates('You may 2 times try again.', NOW)).toEqual([]);
  });

  it('keeps relative dates unresolved without a time of writing', () => {
    expect(texts(findDates('See you next Friday.'))).toEqual(['next Friday']);
  });
});

describe('resolveRelativeDate', () => {
  it.each([
    ['yesterday', '7 March 2024'],
    ['the day after tomorrow', '10 March 2024'],
    ['last Monday', '4 March 2024'],
    ['this Friday', '8 March 2024'],
    ['next month', 'April 2024'],
    ['last year', '2023'],
    ['in 3 days', '11 March 2024'],
  ])('%p is %p', (expression, expected) => {
    expect(resolveRelativeDate(expression, NOW)).toBe(expected);
  });

  it('leaves vague expressions alone', () => {
    expect(resolveRelativeDate('a few weeks ago', NOW)).toBeUndefined();
    expect(resolveRelativeDate('8 May 2023', NOW)).toBeUndefined();
  });
});

describe('findNumbers', () => {
  it.each([
    ['The budget is $1,200 for the offsite.', ['$1,200']],
    ['We have 3 kids and 2 dogs.', ['3 kids', '2 dogs']],
    ['I ran 5 km this morning.', ['5 km']],
    ['Sales grew 20% in the spring.', ['20%']],
    ['She owns three horses.', ['three horses']],
    ['The repair cost 450 euros in total.', ['450 euros']],
  ])('finds the amount in %p', (sentence, expected) => {
    expect(texts(findNumbers(sentence))).toEqual(expected);
  });

  it('skips bare numbers, years and figures of speech', () => {
    expect(findNumbers('Room 12 is at the end, since 2019.')).toEqual([]);
    expect(findNumbers('I 100% agree with you.')).toEqual([]);
  });

  it('skips what is already a date', () => {
    const sentence = 'We moved 3 years ago with 2 cats.';
    expect(texts(findNumbers(sentence, findDates(sentence, NOW)))).toEqual(['2 cats']);
  });
});

describe('findEntities', () => {
  it('finds multiword names inside a sentence', () => {
    const { entities } = findEntities(
      'Yesterday I met Dr. Laura Chen from Acme Robotics at the Bank of Portugal.',
      noHistory,
    );
    expect(texts(entities)).toEqual(['Laura Chen', 'Acme Robotics', 'Bank of Portugal']);
  });

  it('does not take a capitalised first word for a name unless seen inside a sentence', () => {
    expect(texts(findEntities('Painting relaxes me a lot.', noHistory).entities)).toEqual([]);
    expect(
      texts(
        findEntities('Lisbon was sunny all week.', {
          capitalisedInside: (word) => (word === 'lisbon' ? 1 : 0),
        }).entities,
      ),
    ).toEqual(['Lisbon']);
  });

  it('keeps acronyms and products, drops pronouns, greetings and weekdays', () => {
    const { entities } = findEntities(
      'I told the NHS on Monday that my iPhone broke. Wow.',
      noHistory,
    );
    expect(texts(entities)).toEqual(['NHS', 'iPhone']);
  });

  it('reports the words seen capitalised inside the sentence', () => {
    const { capitalisedWords } = findEntities('We flew to Oslo with Anna.', noHistory);
    expect(capitalisedWords).toEqual(['oslo', 'anna']);
  });
});

describe('findPhrases', () => {
  it('finds runs of content words, noun phrases marked', () => {
    expect(findPhrases('I ran a charity race for the animal shelter.', () => false)).toEqual([
      { text: 'ran', nounish: false },
      { text: 'charity race', nounish: true },
      { text: 'animal shelter', nounish: true },
    ]);
  });

  it('does not take a modifier for a topic', () => {
    expect(findPhrases('It took a long time.', () => false)).toEqual([
      { text: 'long', nounish: false },
    ]);
  });
});

describe('sentenceKind', () => {
  it.each([
    ['We decided to go with Postgres.', 'decision'],
    ["Let's go with the blue logo.", 'decision'],
    ["I'll take the early shift instead.", 'decision'],
    ["I'll send you the slides tonight.", 'action'],
    ['Remind me to renew my passport.', 'action'],
    ['We need to fix the heater before winter.', 'action'],
    ['Please review the draft by Friday.', 'action'],
    ['Can you send the invoice by Monday?', 'action'],
    ['Did you book the hotel?', 'question'],
    ["I'll always remember that trip.", 'statement'],
    ['I got to feed a horse once.', 'statement'],
    ['The museum was closed.', 'statement'],
  ])('%p is a %s', (sentence, kind) => {
    expect(sentenceKind(sentence)).toBe(kind);
  });
});

describe('sentence priors', () => {
  it('tells events from other statements', () => {
    expect(isFirstPersonEvent('I adopted a cat last month.')).toBe(true);
    expect(isFirstPersonEvent('Just started a pottery class.')).toBe(true);
    expect(isFirstPersonEvent('I like cats.')).toBe(false);
  });

  it('tells reactions from facts', () => {
    expect(isReaction('Your courage is inspiring.')).toBe(true);
    expect(isReaction("I'm so happy for you!")).toBe(true);
    expect(isReaction('I showed you my new bike.')).toBe(false);
  });

  it('reads the tone of a message', () => {
    expect(moodsOf('I am so frustrated, this is ridiculous.')).toEqual(['frustrated']);
    expect(moodsOf('The meeting is at noon.')).toEqual([]);
  });
});
