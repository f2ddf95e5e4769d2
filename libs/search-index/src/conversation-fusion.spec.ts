import {
  aggregatePassages,
  foundWithoutPassages,
  FUSION_WEIGHTS,
  fuseConversationLists,
  fusePassageLists,
} from './conversation-fusion';
import { minMaxFusion } from './score-fusion';

const EQUAL = {
  summaryKeyword: 1,
  summarySemantic: 1,
  passageKeyword: 1,
  passageSemantic: 1,
};
const list = (...pairs: Array<[string, number]>) => pairs.map(([id, score]) => ({ id, score }));
const passages = (...triples: Array<[string, string, number]>) =>
  triples.map(([id, conversationId, score]) => ({ id, conversationId, score }));

describe(aggregatePassages.name, () => {
  it('scores a conversation by its best passage plus a share of its second best', () => {
    const aggregated = aggregatePassages(
      passages(
        ['a/1', 'a', 5],
        ['b/1', 'b', 5.2],
        ['a/3', 'a', 4],
        ['a/5', 'a', 3],
        ['b/3', 'b', 1],
      ),
      0.1,
    );
    expect(aggregated.map((hit) => hit.id)).toEqual(['a', 'b']);
    expect(aggregated[0]?.score).toBeCloseTo(5.4, 12);
    expect(aggregated[1]?.score).toBeCloseTo(5.3, 12);
  });

  it('takes the best two whatever their order in the list', () => {
    const [hit] = aggregatePassages(
      passages(['a/1', 'a', 1], ['a/3', 'a', 3], ['a/5', 'a', 2]),
      0.5,
    );
    expect(hit?.score).toBeCloseTo(4, 12);
  });

  it('breaks ties by conversation id', () => {
    expect(
      aggregatePassages(passages(['z/1', 'z', 1], ['y/1', 'y', 1])).map((hit) => hit.id),
    ).toEqual(['y', 'z']);
  });
});

describe(fuseConversationLists.name, () => {
  it('is min-max fusion with equal weights', () => {
    const lists = {
      summaryKeyword: list(['a', 10], ['b', 6], ['c', 2]),
      summarySemantic: list(['c', 0.9], ['a', 0.8], ['d', 0.7]),
      passageKeyword: list(['d', 3], ['a', 1]),
      passageSemantic: list(['b', 0.5]),
    };
    const fused = fuseConversationLists(lists, EQUAL);
    const plain = minMaxFusion(Object.values(lists));
    expect(fused.map((hit) => [hit.id, hit.score])).toEqual(
      plain.map((hit) => [hit.id, hit.score]),
    );
    expect(fused[0]?.ranks).toEqual({
      summaryKeyword: 1,
      summarySemantic: 2,
      passageKeyword: 2,
      passageSemantic: null,
    });
    // The defaults weigh the passages above the summaries, as the evaluation chose.
    expect(FUSION_WEIGHTS.passageKeyword).toBeGreaterThan(FUSION_WEIGHTS.summaryKeyword);
    expect(FUSION_WEIGHTS.passageSemantic).toBeGreaterThan(FUSION_WEIGHTS.summarySemantic);
  });

  it('weighs the lists and fuses only those given', () => {
    const lists = {
      summaryKeyword: list(['a', 2], ['b', 1]),
      passageKeyword: list(['b', 2], ['a', 1]),
    };
    const weights = { ...EQUAL, passageKeyword: 3 };
    const fused = fuseConversationLists(lists, weights);
    expect(fused.map((hit) => hit.id)).toEqual(['b', 'a']);
    expect(fused[0]?.score).toBeCloseTo(0.75, 12);
    expect(Object.keys(fused[0]?.ranks ?? {})).toEqual(['summaryKeyword', 'passageKeyword']);
  });

  it('counts a given but empty list in the weights', () => {
    const fused = fuseConversationLists(
      { summaryKeyword: list(['a', 1]), passageKeyword: [] },
      EQUAL,
    );
    expect(fused).toEqual([
      { id: 'a', score: 0.5, ranks: { summaryKeyword: 1, passageKeyword: null } },
    ]);
  });

  it('fuses a conversation without passages (archived) over the summary lists alone', () => {
    const lists = {
      summaryKeyword: list(['old', 4], ['live', 2], ['other', 1]),
      summarySemantic: list(['old', 0.9], ['live', 0.5], ['other', 0.4]),
      passageKeyword: list(['live', 7], ['other', 1]),
      passageSemantic: list(['live', 0.8], ['other', 0.3]),
    };
    // Counted as misses in the passage lists, the archived conversation is capped at one half.
    expect(fuseConversationLists(lists, EQUAL).map((hit) => hit.id)).toEqual([
      'live',
      'old',
      'other',
    ]);
    const fused = fuseConversationLists(lists, EQUAL, new Set(['old']));
    expect(fused.map((hit) => hit.id)).toEqual(['old', 'live', 'other']);
    expect(fused[0]?.score).toBeCloseTo(1);
    // A conversation that has passages is scored as before.
    expect(fused.find((hit) => hit.id === 'live')?.score).toBeCloseTo(
      fuseConversationLists(lists, EQUAL).find((hit) => hit.id === 'live')?.score ?? -1,
    );
  });

  it('names the conversations the summary lists found and no passage list holds', () => {
    const lists = {
      summaryKeyword: list(['a', 3], ['b', 2], ['c', 1]),
      summarySemantic: list(['d', 0.9], ['a', 0.5]),
      passageKeyword: list(['a', 7]),
      passageSemantic: list(['b', 0.8]),
    };
    expect(foundWithoutPassages(lists, 10)).toEqual(['c', 'd']);
    expect(foundWithoutPassages(lists, 1)).toEqual(['d']);
  });

  it('refuses negative weights', () => {
    expect(() =>
      fuseConversationLists({ summaryKeyword: [] }, { ...FUSION_WEIGHTS, summaryKeyword: -1 }),
    ).toThrow('weights');
  });
});

describe(fusePassageLists.name, () => {
  it('fuses passages with the passage weights and keeps [keyword, semantic] ranks', () => {
    const fused = fusePassageLists({
      keyword: passages(['a/1', 'a', 4], ['b/1', 'b', 2]),
      semantic: passages(['b/1', 'b', 0.9], ['c/1', 'c', 0.1]),
    });
    // a/1 (1 + 0) / 2 and b/1 (0 + 1) / 2 tie, both first once: by id.
    expect(fused.map((hit) => [hit.id, hit.ranks])).toEqual([
      ['a/1', [1, null]],
      ['b/1', [2, 1]],
      ['c/1', [null, 2]],
    ]);
  });

  it('gives semantic ranks as null when only the keyword list is given', () => {
    const fused = fusePassageLists({ keyword: passages(['a/1', 'a', 4]) });
    expect(fused).toEqual([{ id: 'a/1', score: 1, ranks: [1, null] }]);
  });
});
