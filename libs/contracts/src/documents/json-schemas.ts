import { z } from 'zod';
import {
  CHAT_MESSAGE_SCHEMA,
  chatMessageSchema,
  CONTENT_MAX_BYTES,
  ID_MAX_LENGTH,
  MAX_FUTURE_SKEW_MS,
  METADATA_MAX_BYTES,
  MIN_CREATED_AT,
} from '../chat-message/chat-message.schema';
import { JSON_MAX_DEPTH } from '../storable-text';
import {
  MEMORY_MESSAGE_SCHEMA,
  memoryMessageSchema,
} from '../memory-message/memory-message.schema';
import {
  MEMORY_SUMMARY_SCHEMA,
  memorySummarySchema,
} from '../memory-summary/memory-summary.schema';

/**
 * JSON Schemas of the event values, generated from the zod schemas the services validate with,
 * so that producers and consumers in other languages can validate the same way.
 *
 * The barrel exports the three standalone schemas (the CLI registers them with a schema
 * registry); the rest of this folder is the document generator's, never a service's.
 */

export type JsonSchema = z.core.JSONSchema.JSONSchema;

/** `draft-2020-12` for the standalone files; `draft-07` for AsyncAPI payloads (its schema format). */
export type JsonSchemaDialect = 'draft-2020-12' | 'draft-07';

/** A zod refinement (`.refine`), which JSON Schema has no keyword for, and how it is documented. */
export interface Refinement {
  /** Keywords that approximate it; the schema is then looser than the validator, never stricter. */
  approximation?: JsonSchema;
  /** What the validator checks, in producer terms; appended to the field's description. */
  rule: string;
  /** For maintainers: how the refinement was mapped. */
  comment: string;
}

/** What the generator knows about one zod object schema besides the schema itself. */
export interface ContractSpec {
  name: string;
  schema: z.ZodObject;
  title: string;
  description: string;
  /** A description of every field; a field without one stops the generator. */
  fields: Readonly<Record<string, string>>;
  /** Every refined field; a refinement without an entry here stops the generator. */
  refinements: Readonly<Record<string, Refinement>>;
}

export const GENERATED_COMMENT =
  'Generated from the zod schemas in libs/contracts by libs/contracts/src/documents; do not edit by hand.';

const SCHEMA_ID_PREFIX = 'urn:conversation-memory:schema:';

const IDENTIFIER = `1 to ${ID_MAX_LENGTH} ASCII letters, digits and . _ : @ -, starting with a letter or digit.`;
const TENANT_IDENTIFIER = `1 to ${ID_MAX_LENGTH} ASCII letters, digits and . _ @ -, starting with a letter or digit; never \`:\`, the separator of the record key.`;

const PATTERNS =
  'Patterns are ECMA-262 regular expressions, where `$` matches only at the very end: a ' +
  'validator whose regex dialect also lets `$` match before a final newline (Python `re`, ' +
  'Java, .NET, PCRE) accepts a trailing newline that the services refuse; `\\d` means the ' +
  'ASCII digits 0-9 only.';

export const CHAT_MESSAGE_CONTRACT: ContractSpec = {
  name: CHAT_MESSAGE_SCHEMA,
  schema: chatMessageSchema,
  title: 'chat.message.v1',
  description:
    'The value of a `chat.messages.v1` record: one chat message as an upstream chat system ' +
    'produces it, as a UTF-8 JSON object. The record key must be `tenantId:conversationId`. ' +
    'A record that fails this schema, or the checks noted on `content`, `createdAt` and ' +
    '`metadata` that JSON Schema cannot express, is moved to `chat.messages.dlq.v1`. ' +
    PATTERNS,
  fields: {
    schema: `Name and version of this contract: always \`${CHAT_MESSAGE_SCHEMA}\`.`,
    messageId: `Identifier of the message, unique within the tenant; a message whose id is already stored is dropped, so re-sending is safe. ${IDENTIFIER}`,
    tenantId: `Tenant the conversation belongs to; first part of the record key. ${TENANT_IDENTIFIER}`,
    conversationId: `Conversation the message belongs to, unique within the tenant; second part of the record key. ${IDENTIFIER}`,
    userId: `User the message is attributed to. ${IDENTIFIER}`,
    role: 'Who wrote the message.',
    content: 'Text of the message.',
    createdAt:
      'When the message was written: an RFC 3339 date-time with seconds, an upper-case `T` and ' +
      'a `Z` or numeric offset (e.g. `2026-05-01T10:00:00Z`, `2026-05-01T12:00:00.250+02:00`).',
    metadata: 'Optional free-form JSON object stored with the message.',
  },
  refinements: {
    content: {
      approximation: { maxLength: CONTENT_MAX_BYTES },
      rule:
        `At most ${CONTENT_MAX_BYTES} bytes once encoded as UTF-8 (refused with ` +
        'CONTENT_TOO_LARGE otherwise); `maxLength` counts characters, so it only catches part ' +
        'of the oversized values: check the UTF-8 byte length yourself. Must not contain U+0000 ' +
        'or an unpaired UTF-16 surrogate (refused with INVALID_CHARACTERS).',
      comment:
        `Approximation: the validator limits the UTF-8 byte length to ${CONTENT_MAX_BYTES}; JSON ` +
        'Schema can only count characters (code points, 1 to 4 bytes each), so maxLength ' +
        `${CONTENT_MAX_BYTES} is a necessary condition, not a sufficient one.`,
    },
    createdAt: {
      rule:
        `Must not be more than ${MAX_FUTURE_SKEW_MS / 3_600_000} hours ahead of the receiving ` +
        "service's clock (refused with CREATED_AT_IN_FUTURE otherwise), nor before " +
        `${MIN_CREATED_AT}, and its UTC offset must be within ±15:59 (refused with ` +
        'CREATED_AT_OUT_OF_RANGE otherwise).',
      comment:
        'Not expressed: the validator compares the instant with the current time, which JSON ' +
        'Schema cannot. The pattern (from zod) makes the format check exact even where `format` ' +
        'is only an annotation.',
    },
    metadata: {
      rule:
        `Serialized as JSON it must take at most ${METADATA_MAX_BYTES} bytes of UTF-8 (refused ` +
        'with METADATA_TOO_LARGE otherwise), nest objects and arrays at most ' +
        `${JSON_MAX_DEPTH} deep (METADATA_TOO_DEEP), and hold no key or string with U+0000 or ` +
        'an unpaired UTF-16 surrogate (INVALID_CHARACTERS).',
      comment:
        'Not expressed: the validator limits the byte length of JSON.stringify(metadata); JSON ' +
        'Schema has no keyword for the serialized size of a value.',
    },
  },
};

export const MEMORY_MESSAGE_CONTRACT: ContractSpec = {
  name: MEMORY_MESSAGE_SCHEMA,
  schema: memoryMessageSchema,
  title: 'memory.message.v1',
  description:
    'The value of a `memory.messages.v1` record: a message ingest has stored, normalized, with ' +
    'its per-conversation `seq` and when it was stored. The record key is ' +
    '`tenantId:conversationId`. Published at least once: consumers skip what they have ' +
    'already seen by `seq`. The identifiers, content and metadata passed the checks of ' +
    '`chat.message.v1`; this schema does not repeat them, but the summarizer refuses a value ' +
    'holding U+0000 or an unpaired UTF-16 surrogate in any string (no store accepts them).',
  fields: {
    schema: `Name and version of this contract: always \`${MEMORY_MESSAGE_SCHEMA}\`.`,
    messageId: 'Identifier of the message, unique within the tenant.',
    tenantId: 'Tenant the conversation belongs to.',
    conversationId: 'Conversation the message belongs to.',
    userId: 'User the message is attributed to.',
    role: 'Who wrote the message.',
    content: 'Text of the message.',
    createdAt: 'When the message was written, as the producer said (RFC 3339, normalized to UTC).',
    metadata: 'The free-form metadata the message came with, when it had any.',
    seq:
      'Position of the message in its conversation: 1, 2, 3 … without gaps, in the order ' +
      'ingest stored them. A 64-bit integer is needed beyond 2^31.',
    ingestedAt: 'When ingest stored the message (RFC 3339, UTC).',
  },
  refinements: {},
};

const COST =
  '`inputTokens` and `outputTokens` (reported by `openai`, as the LLM server counted them or ' +
  'estimated when it does not say; 0 for `local`), `inputChars` and `outputChars` (what ' +
  '`local` reports; `openai` counts its prompt and reply characters too) and `durationMs`, ' +
  'all non-negative';

export const MEMORY_SUMMARY_CONTRACT: ContractSpec = {
  name: MEMORY_SUMMARY_SCHEMA,
  schema: memorySummarySchema,
  title: 'memory.summary.v1',
  description:
    'The value of a `memory.summaries.v1` record: the current summary of one conversation. The ' +
    'topic is compacted and the record key is `tenantId:conversationId`, so it keeps the latest ' +
    'summary per conversation; a tombstone (null value) removes it. Published at least once: ' +
    'consumers keep the highest `version` and ignore lower or equal ones. The identifiers ' +
    'passed the checks of `chat.message.v1`; this schema does not repeat them, but the search ' +
    'indexer refuses a value holding U+0000 or an unpaired UTF-16 surrogate in any string.',
  fields: {
    schema: `Name and version of this contract: always \`${MEMORY_SUMMARY_SCHEMA}\`.`,
    tenantId: 'Tenant the conversation belongs to.',
    conversationId: 'The conversation summarized.',
    userId: 'User the conversation is attributed to.',
    version:
      'Version of this summary, from 1, higher at every rewrite (new messages folded in, an LLM ' +
      'pass, a tier change). It only grows; a consumer keeps the highest; the search index uses ' +
      'it as external version.',
    throughSeq:
      'Every message with `seq <= throughSeq` (the `seq` of memory.message.v1) is folded in; ' +
      'the messages after it are not yet.',
    tier:
      'How compressed the summary is: `full` rolling summary (what the summarizer writes), ' +
      '`key_points`, `brief`, or `metadata` only; conversations move down the tiers as they age.',
    text:
      'Plain-text rendering of `sections`, and what search indexes: the `context` paragraph, ' +
      'then one line per non-empty list, in the order of `sections`, as its title, a colon and ' +
      'the items joined by `; ` (e.g. `Key points: a; b`, `Action items: …`), then ' +
      '`Mood: <mood>` when there is one; lines are separated by `\\n`. Empty when every section is.',
    sections:
      'The summary by kind; every list is ordered most important first, and is empty when there ' +
      'is nothing of its kind (lower tiers keep fewer sections). `context`: a few sentences on ' +
      'what the conversation is about (empty when nothing is worth keeping); `keyPoints`: the ' +
      'facts and points worth remembering; `decisions`: what was decided; `actionItems`: what ' +
      'someone has to do; `openQuestions`: questions still unanswered; `entities`: people, ' +
      'places, organizations and products named; `dates`: dates and times mentioned, as written ' +
      '("next Friday", "8 May 2023"); `numbers`: numbers with what they count or measure ' +
      '("$1,200 budget", "3 kids"); `mood`: the overall tone when it is clear (e.g. ' +
      '"frustrated", "grateful"), otherwise null.',
    stats:
      'About the summarized conversation and how the summary was made. `messageCount`: messages ' +
      'folded in so far; `firstMessageAt`, `lastMessageAt`: `createdAt` of the first and last ' +
      'of them (RFC 3339), null when there are none; `backend`: what made this version, ' +
      '`local` (the extractive summarizer, no model) or `openai` (an OpenAI-compatible LLM); ' +
      '`llmPending`: true while an LLM is configured but this version was made locally, an LLM ' +
      'pass follows with a higher version; `fromSeq`: first `seq` folded in by the update that ' +
      'made this version (through `throughSeq`); `cost`: cost of that update, and `totalCost`: ' +
      `of every update of the conversation so far, each with ${COST}; \`updatedAt\`: when ` +
      'this version was made (RFC 3339).',
  },
  refinements: {},
};

/** The standalone `chat.message.v1` JSON Schema (draft 2020-12). */
export function chatMessageJsonSchema(dialect: JsonSchemaDialect = 'draft-2020-12'): JsonSchema {
  return contractJsonSchema(CHAT_MESSAGE_CONTRACT, dialect);
}

/** The standalone `memory.message.v1` JSON Schema (draft 2020-12). */
export function memoryMessageJsonSchema(dialect: JsonSchemaDialect = 'draft-2020-12'): JsonSchema {
  return contractJsonSchema(MEMORY_MESSAGE_CONTRACT, dialect);
}

/** The standalone `memory.summary.v1` JSON Schema (draft 2020-12). */
export function memorySummaryJsonSchema(dialect: JsonSchemaDialect = 'draft-2020-12'): JsonSchema {
  return contractJsonSchema(MEMORY_SUMMARY_CONTRACT, dialect);
}

/**
 * Converts a contract's zod schema with `z.toJSONSchema`, then adds the descriptions and maps
 * the refinements. Draft 2020-12 output is a standalone document (`$schema`, `$id`); draft-07
 * output is meant to be embedded (in AsyncAPI `components.schemas`) and has neither.
 */
export function contractJsonSchema(spec: ContractSpec, dialect: JsonSchemaDialect): JsonSchema {
  assertRefinementsMapped(spec);
  const { $schema, ...generated } = z.toJSONSchema(spec.schema, {
    target: dialect,
    io: 'input',
    unrepresentable: 'throw',
  });
  const properties: Record<string, JsonSchema> = {};
  for (const [field, property] of Object.entries(generated.properties ?? {})) {
    const description = spec.fields[field];
    if (description === undefined) {
      throw new Error(`${spec.name}: field "${field}" has no description in json-schemas.ts`);
    }
    if (typeof property !== 'object') {
      throw new Error(`${spec.name}: field "${field}" has no schema`);
    }
    const refinement = spec.refinements[field];
    for (const keyword of Object.keys(refinement?.approximation ?? {})) {
      if (keyword in property) {
        throw new Error(
          `${spec.name}: the approximation of "${field}" would replace its ${keyword}`,
        );
      }
    }
    properties[field] = refinement
      ? {
          description: `${description} ${refinement.rule}`,
          ...property,
          ...refinement.approximation,
          $comment: refinement.comment,
        }
      : { description, ...property };
  }
  return {
    ...(dialect === 'draft-2020-12' ? { $schema, $id: `${SCHEMA_ID_PREFIX}${spec.name}` } : {}),
    title: spec.title,
    description: spec.description,
    ...(dialect === 'draft-2020-12' ? { $comment: GENERATED_COMMENT } : {}),
    ...generated,
    properties,
  };
}

/**
 * Fails when a refinement (which `z.toJSONSchema` drops silently) has no documented mapping, or
 * a documented one no longer exists: the documents then cannot drift from the validator.
 */
function assertRefinementsMapped(spec: ContractSpec): void {
  if (customChecks(spec.schema) > 0) {
    throw new Error(`${spec.name}: object-level refinements cannot be documented per field`);
  }
  for (const [field, schema] of Object.entries(spec.schema.shape)) {
    const refined = customChecks(unwrap(schema as z.ZodType)) > 0;
    const documented = Object.hasOwn(spec.refinements, field);
    if (refined && !documented) {
      throw new Error(
        `${spec.name}: field "${field}" has a refinement JSON Schema cannot express; ` +
          'describe it in the refinements of json-schemas.ts',
      );
    }
    if (!refined && documented) {
      throw new Error(`${spec.name}: field "${field}" is documented as refined but is not`);
    }
  }
  for (const field of Object.keys(spec.refinements)) {
    if (!(field in spec.schema.shape)) {
      throw new Error(`${spec.name}: refinement for unknown field "${field}"`);
    }
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return unwrap(schema.unwrap() as z.ZodType);
  }
  return schema;
}

function customChecks(schema: z.ZodType): number {
  return (schema._zod.def.checks ?? []).filter((check) => check._zod.def.check === 'custom').length;
}
