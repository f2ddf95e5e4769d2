import { emptySections, SummarySections } from '@memory/contracts';
import { changesOf } from './summary-history.service';

function sections(overrides: Partial<SummarySections>): SummarySections {
  return { ...emptySections(), ...overrides };
}

describe(changesOf.name, () => {
  it('lists the items each list section gained and lost, and a changed context line', () => {
    const before = sections({
      context: 'Planning the move.',
      keyPoints: ['Movers booked', 'Keys on June 1'],
      entities: ['Ana'],
    });
    const after = sections({
      context: 'Planning the move and the party.',
      keyPoints: ['Keys on June 1', 'Party on June 3'],
      entities: ['Ana', 'Ben'],
      decisions: ['Ben pays the cake'],
    });
    expect(changesOf(before, after)).toEqual({
      added: {
        keyPoints: ['Party on June 3'],
        decisions: ['Ben pays the cake'],
        entities: ['Ben'],
      },
      removed: { keyPoints: ['Movers booked'] },
      context: { from: 'Planning the move.', to: 'Planning the move and the party.' },
    });
  });

  it('adds everything of a first version, and nothing when nothing changed', () => {
    const first = sections({ context: 'Hello.', dates: ['Friday'] });
    expect(changesOf(null, first)).toEqual({
      added: { dates: ['Friday'] },
      removed: {},
      context: { from: '', to: 'Hello.' },
    });
    expect(changesOf(first, first)).toEqual({ added: {}, removed: {} });
  });

  it('shows lessons, and a rationale given later as the decision again with its reason', () => {
    const before = sections({ decisions: ['Rent a van'] });
    const after = sections({
      decisions: ['Rent a van'],
      rationales: { 'Rent a van': 'the car is too small' },
      lessons: ['Measure the doorway first'],
    });
    expect(changesOf(before, after)).toEqual({
      added: {
        decisions: ['Rent a van (why: the car is too small)'],
        lessons: ['Measure the doorway first'],
      },
      removed: { decisions: ['Rent a van'] },
    });
  });
});
