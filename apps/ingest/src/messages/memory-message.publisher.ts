import { conversationKey, MEMORY_MESSAGE_SCHEMA, MemoryMessage, TOPICS } from '@memory/contracts';
import { KafkaProducerService } from '@memory/kafka';
import { Injectable } from '@nestjs/common';
import { IHeaders } from 'kafkajs';
import { StoredMessage } from './message.store';

/** Publishes stored messages, with their seq, to `memory.messages.v1` for the summarizer. */
@Injectable()
export class MemoryMessagePublisher {
  constructor(private readonly producer: KafkaProducerService) {}

  /** `headersOf` gives the trace headers a message's record carries on (its traceparent). */
  async publish(
    messages: readonly StoredMessage[],
    headersOf: (message: StoredMessage, index: number) => IHeaders | undefined,
  ): Promise<void> {
    if (messages.length === 0) return;
    // A batch's messages share one ingestedAt: format it once, not once per message.
    const isoOf = memoizeIso();
    await this.producer.send(
      TOPICS.memoryMessages,
      messages.map((message, index) => ({
        key: conversationKey(message.tenantId, message.conversationId),
        value: JSON.stringify(toEvent(message, isoOf)),
        headers: pickTraceHeaders(headersOf(message, index)),
      })),
    );
  }
}

/** Date.toISOString that remembers its last answer (for runs of the same Date object). */
function memoizeIso(): (date: Date) => string {
  let last: Date | undefined;
  let lastIso = '';
  return (date) => {
    if (date !== last) {
      last = date;
      lastIso = date.toISOString();
    }
    return lastIso;
  };
}

export function toEvent(
  message: StoredMessage,
  isoOf: (date: Date) => string = (date) => date.toISOString(),
): MemoryMessage {
  return {
    schema: MEMORY_MESSAGE_SCHEMA,
    messageId: message.messageId,
    tenantId: message.tenantId,
    conversationId: message.conversationId,
    userId: message.userId,
    role: message.role,
    content: message.content,
    createdAt: message.createdAt.toISOString(),
    ...(message.metadata ? { metadata: message.metadata } : {}),
    seq: message.seq,
    ingestedAt: isoOf(message.ingestedAt),
  };
}

const TRACE_HEADERS = ['traceparent', 'tracestate'];

function pickTraceHeaders(headers: IHeaders | undefined): IHeaders | undefined {
  if (!headers) return undefined;
  const picked: IHeaders = {};
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
