import { chunkBySize } from './kafka-producer.service';

describe(chunkBySize.name, () => {
  const message = (bytes: number) => ({ key: 'k', value: 'v'.repeat(bytes) });

  it('keeps small sends whole', () => {
    expect(chunkBySize([message(10), message(10)], 1000)).toHaveLength(1);
  });

  it('splits in order so that no chunk passes the limit', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: String(i),
      value: 'x'.repeat(300),
    }));
    const chunks = chunkBySize(messages, 1000);
    expect(chunks.flat().map((m) => m.key)).toEqual(messages.map((m) => m.key));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(2);
  });

  it('sends a message larger than the limit on its own', () => {
    expect(
      chunkBySize([message(10), message(5000), message(10)], 1000).map((c) => c.length),
    ).toEqual([1, 1, 1]);
  });
});
