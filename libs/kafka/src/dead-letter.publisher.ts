import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DLQ_HEADERS } from '@memory/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { CompressionTypes, IHeaders, KafkaMessage, Message } from 'kafkajs';
import { KafkaProducerService } from './kafka-producer.service';

export interface DeadLetter {
  source: { topic: string; partition: number; offset: string };
  record: KafkaMessage;
  /** A stable, machine-readable error code. */
  code: string;
  reason: string;
}

/**
 * The largest dead-letter record sent, key, value and headers together, compressed: under the
 * broker's and topics' default `message.max.bytes` (1,048,588) with room for the batch framing.
 */
export const DEAD_LETTER_MAX_BYTES = 1_000_000;
/** The reason header is cut to this many characters. */
export const DEAD_LETTER_REASON_MAX = 1_000;
const TRUNCATION_MARK = '…';

/**
 * Puts records that can never be handled on a dead-letter topic: the original key, value
 * bytes and headers untouched, the source position and the reason in `dlq.*` headers. A letter
 * always fits the broker's limit, whatever came in ({@link fitDeadLetter}); letters are sent
 * gzip-compressed.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  /** Records of each fetched batch that went out already, by offset (see {@link publishOnce}). */
  private readonly sentFor = new WeakMap<object, Set<string>>();

  constructor(private readonly producer: KafkaProducerService) {}

  /**
   * Publishes a consumed batch's dead letters, each record once however often it is called for
   * the batch: a retry of the batch's handler (after a failure further on), or a part of the
   * batch handled on its own (`origin`), sends only records not sent before. Returns whether it
   * published any now.
   */
  async publishOnce(
    batch: { origin?: object },
    topic: string,
    letters: readonly DeadLetter[],
  ): Promise<boolean> {
    const origin = batch.origin ?? batch;
    const sent = this.sentFor.get(origin) ?? new Set<string>();
    const fresh = letters.filter((letter) => !sent.has(letterKey(letter)));
    if (fresh.length === 0 && letters.length > 0) return false;
    await this.publish(topic, fresh);
    for (const letter of fresh) sent.add(letterKey(letter));
    this.sentFor.set(origin, sent);
    return true;
  }

  async publish(topic: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map((letter) => fitDeadLetter(toMessage(letter)));
    await this.producer.send(topic, messages, CompressionTypes.GZIP);
    for (const { source, code } of letters) {
      this.logger.warn({ msg: 'record dead-lettered', ...source, code, deadLetterTopic: topic });
    }
  }
}

function letterKey(letter: DeadLetter): string {
  return `${letter.source.topic}\u0000${letter.source.partition}\u0000${letter.source.offset}`;
}

function toMessage({ source, record, code, reason }: DeadLetter): Message {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.sourceTopic]: source.topic,
      [DLQ_HEADERS.sourcePartition]: String(source.partition),
      [DLQ_HEADERS.sourceOffset]: source.offset,
      [DLQ_HEADERS.errorCode]: code,
      [DLQ_HEADERS.errorReason]: cut(reason, DEAD_LETTER_REASON_MAX),
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}

/**
 * Makes a dead letter fit {@link DEAD_LETTER_MAX_BYTES} once compressed: first as it is; then
 * without the original headers, largest first; last with the value cut, its full length and
 * SHA-256 kept. Whatever was dropped is named in the `dlq.note` header, so the letter says
 * what it lacks.
 */
export function fitDeadLetter(
  message: Message,
  limit = DEAD_LETTER_MAX_BYTES,
  compressedSize: (message: Message) => number = gzippedSize,
): Message {
  if (compressedSize(message) <= limit) return message;
  const notes: string[] = [];
  const headers: IHeaders = { ...message.headers };
  const original = Object.keys(headers)
    .filter((name) => !name.startsWith('dlq.'))
    .sort((a, b) => headerBytes(headers[b]) - headerBytes(headers[a]));
  let fitted: Message = { ...message, headers };
  for (const name of original) {
    notes.push(`header ${cut(name, 64)} dropped (${headerBytes(headers[name])} bytes)`);
    delete headers[name];
    fitted = { ...message, headers: { ...headers, [DLQ_HEADERS.note]: notes.join('; ') } };
    if (compressedSize(fitted) <= limit) return fitted;
  }
  const value = bytesOf(message.value);
  const room = Math.max(0, limit - 4_096 - Math.min(bytesOf(message.key).length, 1_024));
  notes.push(
    `value cut to ${Math.min(room, value.length)} of ${value.length} bytes (sha256 ${sha256(value)})`,
  );
  // Cut as incompressible bytes would need: the cut value then fits whatever it holds.
  return {
    key: cutBytes(bytesOf(message.key), 1_024),
    value: value.subarray(0, room),
    headers: { ...headers, [DLQ_HEADERS.note]: notes.join('; ') },
  };
}

function gzippedSize(message: Message): number {
  const parts: Buffer[] = [bytesOf(message.key), bytesOf(message.value)];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    parts.push(Buffer.from(name));
    for (const item of Array.isArray(value) ? value : [value]) parts.push(bytesOf(item));
  }
  const raw = parts.reduce((sum, part) => sum + part.length, 0);
  // Only a letter near the limit is worth compressing to measure.
  return raw <= DEAD_LETTER_MAX_BYTES / 2 ? raw : gzipSync(Buffer.concat(parts)).length + 512;
}

function headerBytes(value: IHeaders[string]): number {
  if (value === undefined) return 0;
  return (Array.isArray(value) ? value : [value]).reduce(
    (sum: number, item) => sum + bytesOf(item).length,
    0,
  );
}

function bytesOf(value: Buffer | string | null | undefined): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
}

function cutBytes(value: Buffer, max: number): Buffer {
  return value.length <= max ? value : value.subarray(0, max);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + TRUNCATION_MARK;
}

function sha256(value: Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}
