import { planIndexing } from './indexing-plan';
import { SummaryRecord } from './summary-record';
import { summaryFixture } from './summary.fixture';

const summary = (conversationId: string, version: number): SummaryRecord => ({
  kind: 'summary',
  summary: summaryFixture({ conversationId, version }),
});
const tombstone = (conversationId: string, tenantId = 'acme'): SummaryRecord => ({
  kind: 'tombstone',
  tenantId,
  conversationId,
});
const versions = (records: readonly SummaryRecord[]) =>
  planIndexing(records).summaries.map((s) => `${s.tenantId}/${s.conversationId}@${s.version}`);

describe(planIndexing.name, () => {
  it('keeps the highest version of each conversation, whatever the order', () => {
    expect(versions([summary('a', 2), summary('b', 1), summary('a', 5), summary('a', 3)])).toEqual([
      'acme/a@5',
      'acme/b@1',
    ]);
  });

  it('keeps one copy of a version delivered twice', () => {
    expect(versions([summary('a', 2), summary('a', 2)])).toEqual(['acme/a@2']);
  });

  it('tells conversations apart whose Kafka keys are the same', () => {
    const records: SummaryRecord[] = [
      { kind: 'summary', summary: summaryFixture({ tenantId: 'a:b', conversationId: 'c' }) },
      { kind: 'summary', summary: summaryFixture({ tenantId: 'a', conversationId: 'b:c' }) },
    ];
    expect(versions(records)).toEqual(['a:b/c@1', 'a/b:c@1']);
  });

  it('lets a tombstone remove the versions before it', () => {
    expect(planIndexing([summary('a', 4), tombstone('a'), summary('b', 1)])).toMatchObject({
      deletions: [{ tenantId: 'acme', conversationId: 'a' }],
      summaries: [{ conversationId: 'b', version: 1 }],
    });
  });

  it('keeps a summary that follows the tombstone, after the deletion', () => {
    expect(planIndexing([summary('a', 9), tombstone('a'), summary('a', 1)])).toMatchObject({
      deletions: [{ tenantId: 'acme', conversationId: 'a' }],
      summaries: [{ conversationId: 'a', version: 1 }],
    });
  });

  it('ignores invalid records (they are dead-lettered)', () => {
    expect(planIndexing([{ kind: 'invalid', code: 'NOT_JSON', reason: 'x' }])).toEqual({
      deletions: [],
      summaries: [],
    });
  });
});
