import { consumerMetrics } from './consumer.metrics';

describe('consumerMetrics.behind', () => {
  it('sums the last lag of the partitions a group owns, and forgets those it lost', () => {
    consumerMetrics.lag('spec.a', 'topic', 0, 120);
    consumerMetrics.lag('spec.a', 'topic', 1, 30);
    consumerMetrics.lag('spec.a', 'topic', 1, 5);
    consumerMetrics.lag('spec.b', 'topic', 0, 1_000);
    expect(consumerMetrics.behind('spec.a')).toBe(125);
    consumerMetrics.assigned('spec.a', { topic: [1] });
    expect(consumerMetrics.behind('spec.a')).toBe(5);
    expect(consumerMetrics.behind('spec.none')).toBe(0);
  });
});
