import {
  AsyncApiChannelText,
  AsyncApiMessage,
  codeMeaningList,
  EXAMPLE_TRACEPARENT,
  kafkaBindings,
  schemaRef,
} from '../documents/asyncapi-blocks';
import { JsonSchema } from '../documents/json-schemas';
import { DLQ_HEADERS } from './dead-letter.headers';
import { HANDLER_FAILURE_MEANINGS } from './dead-letter.codes';

/** What differs between the dead-letter topics of the AsyncAPI document. */
export interface DeadLetterTopicSpec {
  /** The topic whose records are dead-lettered. */
  sourceTopic: string;
  channel: {
    title: string;
    /** Which records of `sourceTopic` land here, e.g. "that can never be stored". */
    refused: string;
    /** Where the reason is, e.g. "`dlq.*` headers". */
    reasonIn: string;
    /** What happens to the letters: who reads them, what replays them. */
    handling: string;
  };
  message: {
    name: string;
    title: string;
    summary: string;
    /** The codes this topic's letters carry, said after the common description. */
    codes: string;
    /** What the value of a letter can be. */
    value: string;
    /** What the key of a letter can be. */
    key: string;
  };
  example: {
    name: string;
    partition: string;
    offset: string;
    errorCode: string;
    errorReason: string;
    failedAt: string;
    /** Whether the example record carried a `traceparent`. */
    traced: boolean;
  };
}

/**
 * The channel text and the message of a dead-letter topic: the original record's key, value
 * and headers, byte for byte, with the `dlq.*` headers added.
 */
export function deadLetterTopic(spec: DeadLetterTopicSpec): {
  channel: AsyncApiChannelText;
  message: AsyncApiMessage;
} {
  const { channel, message, example } = spec;
  return {
    channel: {
      title: channel.title,
      description:
        `Records of \`${spec.sourceTopic}\` ${channel.refused}, with their original key, value ` +
        `bytes and headers untouched, and why in ${channel.reasonIn}. ${channel.handling}`,
    },
    message: {
      name: message.name,
      title: message.title,
      summary: message.summary,
      description:
        'Key, value and headers are those of the original record, byte for byte; the `dlq.*` ' +
        `headers are added. ${message.codes}`,
      contentType: 'application/octet-stream',
      headers: schemaRef('deadLetterHeaders'),
      payload: { description: message.value },
      bindings: kafkaBindings({ type: ['string', 'null'], description: message.key }),
      examples: [
        {
          name: example.name,
          headers: {
            [DLQ_HEADERS.sourceTopic]: spec.sourceTopic,
            [DLQ_HEADERS.sourcePartition]: example.partition,
            [DLQ_HEADERS.sourceOffset]: example.offset,
            [DLQ_HEADERS.errorCode]: example.errorCode,
            [DLQ_HEADERS.errorReason]: example.errorReason,
            [DLQ_HEADERS.failedAt]: example.failedAt,
            ...(example.traced ? { traceparent: EXAMPLE_TRACEPARENT } : {}),
          },
        },
      ],
    },
  };
}

/** The codes of each dead-letter topic and what they mean there, in the order to list them. */
export interface DeadLetterCodeMeanings {
  /** chat.messages.dlq.v1, written by ingest. */
  ingest: Readonly<Record<string, string>>;
  /** memory.messages.dlq.v1, written by the summarizer. */
  summarizer: Readonly<Partial<Record<string, string>>>;
  /** memory.summaries.dlq.v1, written by search. */
  search: Readonly<Partial<Record<string, string>>>;
}

/** The headers of every dead letter: the original ones plus the `dlq.*` ones. */
export function deadLetterHeadersSchema(
  meanings: DeadLetterCodeMeanings,
  sourceTopics: string[],
): JsonSchema {
  const handlerCodes = codeMeaningList(HANDLER_FAILURE_MEANINGS);
  return {
    type: 'object',
    description:
      'Kafka headers, UTF-8 strings: the original record headers (all of them, e.g. ' +
      '`traceparent`) plus the `dlq.*` headers.',
    required: Object.values(DLQ_HEADERS).filter((name) => name !== DLQ_HEADERS.note),
    properties: {
      [DLQ_HEADERS.sourceTopic]: {
        type: 'string',
        description: 'Topic the record was read from.',
        examples: sourceTopics,
      },
      [DLQ_HEADERS.sourcePartition]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: 'Partition the record was read from, in decimal.',
      },
      [DLQ_HEADERS.sourceOffset]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: 'Offset of the record in that partition, in decimal.',
      },
      [DLQ_HEADERS.errorCode]: {
        type: 'string',
        enum: [
          ...new Set<string>([
            ...Object.keys(meanings.ingest),
            ...Object.keys(meanings.summarizer),
            ...Object.keys(meanings.search),
            ...Object.keys(HANDLER_FAILURE_MEANINGS),
          ]),
        ],
        description:
          `Why the record was refused. On chat.messages.dlq.v1 (ingest): ${codeMeaningList(meanings.ingest).join('; ')}. ` +
          `On memory.messages.dlq.v1 (summarizer): ${codeMeaningList(meanings.summarizer).join('; ')}. ` +
          `On memory.summaries.dlq.v1 (search): ${codeMeaningList(meanings.search).join('; ')}. ` +
          `On any of the three, a record the consumer isolated after its handler failed because of it (the batch split until the record was found): ${handlerCodes.join('; ')}.`,
      },
      [DLQ_HEADERS.errorReason]: {
        type: 'string',
        description: 'Human-readable detail, e.g. the failing fields; not a stable format.',
      },
      [DLQ_HEADERS.failedAt]: {
        type: 'string',
        format: 'date-time',
        description: 'When the record was dead-lettered (RFC 3339, UTC).',
      },
      [DLQ_HEADERS.note]: {
        type: 'string',
        description:
          "Only on a letter cut to fit the broker's size limit (about 1 MB): what was dropped, e.g. an original header and its size, or the tail of the value with the full length and SHA-256.",
      },
      traceparent: { type: 'string', description: 'Kept from the original record, if it had one.' },
      tracestate: { type: 'string', description: 'Kept from the original record, if it had one.' },
    },
  };
}
