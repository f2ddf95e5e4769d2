import { KafkaMessage } from 'kafkajs';
import { BatchDelay, TEXT_FIRST } from './batch-delay';
import { TextBacklog } from './text-backlog';
import { PassageIndexerConsumer } from './passage-indexer.consumer';
import { SummaryIndexerConsumer } from './summary-indexer.consumer';

const at = (timestamp: number) => ({ timestamp: String(timestamp) }) as KafkaMessage;

describe(BatchDelay.name, () => {
  it("is how long the batch's newest record waited, while the batch is recent", () => {
    const delay = new BatchDelay();
    expect(delay.current(10_000)).toBe(0);
    delay.written({ messages: [at(7_000), at(8_500), at(8_000)] }, 10_000);
    expect(delay.current(10_000)).toBe(1_500);
    expect(delay.current(10_000 + TEXT_FIRST.recentMs)).toBe(1_500);
    // Nothing written since: the indexer is idle, not behind.
    expect(delay.current(10_001 + TEXT_FIRST.recentMs)).toBe(0);
  });

  it('ignores records without a timestamp', () => {
    const delay = new BatchDelay();
    delay.written({ messages: [{ timestamp: '' } as KafkaMessage] }, 10_000);
    expect(delay.current(10_000)).toBe(0);
  });
});

describe(TextBacklog.name, () => {
  const consumer = (behind: number, delay: BatchDelay) =>
    ({ recordsBehind: () => behind, delay }) as unknown as SummaryIndexerConsumer &
      PassageIndexerConsumer;

  it('is behind when the indexers lag in records or their last batch waited too long', () => {
    const now = Date.now();
    const slow = new BatchDelay();
    slow.written({ messages: [at(now - TEXT_FIRST.delayMs - 500)] }, now);
    const quick = new BatchDelay();
    quick.written({ messages: [at(now - 200)] }, now);
    expect(new TextBacklog(consumer(10, quick), consumer(10, quick)).behind).toBe(false);
    expect(new TextBacklog(consumer(10, quick), consumer(10, slow)).behind).toBe(true);
    expect(new TextBacklog(consumer(TEXT_FIRST.records, quick), consumer(1, quick)).behind).toBe(
      true,
    );
  });
});
