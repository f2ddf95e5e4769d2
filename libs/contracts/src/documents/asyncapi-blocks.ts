import { ID_MAX_LENGTH } from '../chat-message/chat-message.schema';
import { chatMessageJsonSchema, JsonSchema } from './json-schemas';

/**
 * Pieces the AsyncAPI descriptions of every contract share: bindings, references, the record
 * key and the trace headers. Like the rest of `documents`, not part of the barrel.
 */

/** A message of the AsyncAPI document, as it is written out. */
export type AsyncApiMessage = Record<string, unknown>;

/** A channel's own words; the document adds its address, messages and topic settings. */
export interface AsyncApiChannelText {
  title: string;
  description: string;
}

export const KAFKA_BINDING_VERSION = '0.5.0';

export const EXAMPLE_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The Kafka binding of a message: its record key. */
export function kafkaBindings(key: JsonSchema): Record<string, unknown> {
  return { kafka: { key, bindingVersion: KAFKA_BINDING_VERSION } };
}

/** A reference to a schema of `components.schemas`. */
export function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * `tenantId:conversationId`, built from the identifier patterns of chat.message.v1. Inlined in
 * each message: the AsyncAPI 3.0 JSON Schema refuses a `$ref` as a Kafka key (it matches both
 * branches of its Reference-or-Schema `oneOf`).
 */
export function conversationKeySchema(): JsonSchema {
  const properties = chatMessageJsonSchema('draft-07').properties;
  const anchored = (field: string): string => {
    const schema = properties?.[field];
    const pattern = typeof schema === 'object' ? schema.pattern : undefined;
    if (!pattern?.startsWith('^') || !pattern.endsWith('$'))
      throw new Error(`chat.message.v1 ${field} has no anchored pattern to build the key from`);
    return pattern.slice(1, -1);
  };
  return {
    type: 'string',
    description:
      'Record key: `tenantId:conversationId` of the value, UTF-8. Ingest refuses a ' +
      'chat.messages.v1 record whose key differs (KEY_MISMATCH). A tenant id never contains ' +
      '`:`, so the key is unambiguous: everything before the first `:` is the tenant, the rest ' +
      '(which may contain `:`) the conversation.',
    pattern: `^${anchored('tenantId')}:${anchored('conversationId')}$`,
    maxLength: 2 * ID_MAX_LENGTH + 1,
    examples: ['acme:conv-42'],
  };
}

export function traceHeadersSchema(): JsonSchema {
  return {
    type: 'object',
    description:
      'Kafka headers, UTF-8 strings. Both are optional; other headers of a chat message are ' +
      'ignored and not carried further.',
    properties: {
      traceparent: {
        type: 'string',
        description:
          'W3C Trace Context `traceparent` of the span that produced the record; copied from a ' +
          'chat message to the records derived from it.',
        examples: [EXAMPLE_TRACEPARENT],
      },
      tracestate: {
        type: 'string',
        description: 'W3C Trace Context `tracestate`, copied along with `traceparent`.',
      },
    },
  };
}

/** "`CODE`: meaning" for each code, in the order of `meanings`. */
export function codeMeaningList(meanings: Readonly<Partial<Record<string, string>>>): string[] {
  return Object.entries(meanings).map(([code, meaning]) => `\`${code}\`: ${meaning}`);
}
