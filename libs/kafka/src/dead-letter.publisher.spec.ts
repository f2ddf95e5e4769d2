import { DLQ_HEADERS } from '@memory/contracts';
import { Logger } from '@nestjs/common';
import { Message } from 'kafkajs';
import { DeadLetter, DeadLetterPublisher } from './dead-letter.publisher';
import { KafkaProducerService } from './kafka-producer.service';

describe(DeadLetterPublisher.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const letter: DeadLetter = {
    source: { topic: 'chat.messages.v1', partition: 2, offset: '41' },
    record: { key: Buffer.from('k'), value: Buffer.from('{oops'), headers: { a: 'b' } } as never,
    code: 'NOT_JSON',
    reason: 'Unexpected token o',
  };

  function setup(failFirst = false) {
    const sent: Array<{ topic: string; messages: Message[] }> = [];
    let calls = 0;
    const producer = {
      send: (topic: string, messages: Message[]) => {
        calls++;
        if (failFirst && calls === 1) return Promise.reject(new Error('broker down'));
        sent.push({ topic, messages });
        return Promise.resolve([]);
      },
    } as unknown as KafkaProducerService;
    return { publisher: new DeadLetterPublisher(producer), sent };
  }

  it('keeps the original bytes and says where from and why in headers', async () => {
    const { publisher, sent } = setup();
    await publisher.publish('chat.messages.dlq.v1', [letter]);
    const [message] = sent[0]?.messages ?? [];
    expect(message?.value).toEqual(Buffer.from('{oops'));
    expect(message?.headers).toMatchObject({
      a: 'b',
      [DLQ_HEADERS.sourceOffset]: '41',
      [DLQ_HEADERS.errorCode]: 'NOT_JSON',
    });
  });

  it('sends a batch’s dead letters once, however often its handler runs', async () => {
    const { publisher, sent } = setup();
    const batch = {};
    expect(await publisher.publishOnce(batch, 'dlq', [letter])).toBe(true);
    expect(await publisher.publishOnce(batch, 'dlq', [letter])).toBe(false);
    expect(await publisher.publishOnce({}, 'dlq', [letter])).toBe(true);
    expect(sent).toHaveLength(2);
  });

  it('sends them again on the retry when the first send failed', async () => {
    const { publisher, sent } = setup(true);
    const batch = {};
    await expect(publisher.publishOnce(batch, 'dlq', [letter])).rejects.toThrow('broker down');
    expect(await publisher.publishOnce(batch, 'dlq', [letter])).toBe(true);
    expect(sent).toHaveLength(1);
  });
});
