import { DLQ_HEADERS } from '@memory/contracts';
import { Logger } from '@nestjs/common';
import { Message } from 'kafkajs';
import { DeadLetter, DeadLetterPublisher, fitDeadLetter } from './dead-letter.publisher';
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

describe(fitDeadLetter.name, () => {
  const measured = (message: Message): number => {
    let size = (message.value?.length ?? 0) + (message.key?.length ?? 0);
    for (const [name, value] of Object.entries(message.headers ?? {}))
      size += name.length + Buffer.byteLength(String(value));
    return size;
  };

  it('leaves a letter that fits as it is', () => {
    const message = { key: 'k', value: Buffer.alloc(100), headers: { a: 'b' } };
    expect(fitDeadLetter(message, 1_000, measured)).toBe(message);
  });

  it('drops the largest original headers first and says so', () => {
    const message = {
      key: 'k',
      value: Buffer.alloc(500),
      headers: { big: 'x'.repeat(800), small: 'y', [DLQ_HEADERS.errorCode]: 'NOT_JSON' },
    };
    const fitted = fitDeadLetter(message, 1_000, measured);
    expect(fitted.headers).toMatchObject({ small: 'y', [DLQ_HEADERS.errorCode]: 'NOT_JSON' });
    expect(fitted.headers?.big).toBeUndefined();
    expect(String(fitted.headers?.[DLQ_HEADERS.note])).toContain('header big dropped (800 bytes)');
    expect(measured(fitted)).toBeLessThanOrEqual(1_000);
  });

  it('cuts a value that cannot fit, keeping its length and hash', () => {
    const value = Buffer.alloc(20_000, 7);
    const fitted = fitDeadLetter(
      { key: 'k', value, headers: { [DLQ_HEADERS.errorCode]: 'X' } },
      10_000,
      measured,
    );
    expect(measured(fitted)).toBeLessThanOrEqual(10_000);
    expect(String(fitted.headers?.[DLQ_HEADERS.note])).toMatch(
      /value cut to \d+ of 20000 bytes \(sha256 [0-9a-f]{64}\)/,
    );
  });

  it('keeps a near-limit value whole when it compresses under the limit', () => {
    const value = Buffer.alloc(1_200_000, 'a');
    const fitted = fitDeadLetter({ key: 'k', value, headers: {} });
    expect(fitted.value).toBe(value);
  });
});

describe('DeadLetterPublisher parts of one batch', () => {
  it('sends each record once across the parts of a fetched batch', async () => {
    const sent: Message[] = [];
    const producer = {
      send: (_topic: string, messages: Message[]) => {
        sent.push(...messages);
        return Promise.resolve([]);
      },
    } as unknown as KafkaProducerService;
    const publisher = new DeadLetterPublisher(producer);
    const origin = {};
    const other: DeadLetter = {
      source: { topic: 'chat.messages.v1', partition: 2, offset: '42' },
      record: { key: null, value: Buffer.from('x'), headers: {} } as never,
      code: 'NOT_JSON',
      reason: 'x',
    };
    const first: DeadLetter = { ...other, source: { ...other.source, offset: '41' } };
    expect(await publisher.publishOnce({ origin }, 'dlq', [first])).toBe(true);
    expect(await publisher.publishOnce({ origin }, 'dlq', [first, other])).toBe(true);
    expect(await publisher.publishOnce({ origin }, 'dlq', [first, other])).toBe(false);
    expect(sent).toHaveLength(2);
  });
});
