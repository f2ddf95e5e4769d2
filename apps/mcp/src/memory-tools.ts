import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KeyIdentity, MemoryApiError, MemoryClient, MemoryNetworkError } from '@memory/client';
import { inSpan } from '@memory/telemetry';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SpanStatusCode } from '@opentelemetry/api';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  renderContext,
  renderMessages,
  renderProfile,
  renderSearch,
  renderSummary,
} from './tool-text';

/** One tool call, for the log. */
export interface ToolCall {
  tool: string;
  tenantId: string;
  keyId: string;
  ms: number;
  error: boolean;
}

/** The scope a tool needs; an `admin` key may use every tool. */
type Scope = 'search' | 'ingest';

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/,
    'letters, digits and . _ : @ -, starting with a letter or digit',
  );
const isoDate = z
  .string()
  .min(10)
  .max(40)
  .describe('ISO 8601 date (2026-05-01) or date-time with offset (2026-05-01T10:00:00Z)');

/** The names of the tools, in the order they are listed. */
export const TOOL_NAMES = [
  'search_memory',
  'get_context',
  'get_conversation_summary',
  'get_messages',
  'get_user_profile',
  'pin_conversation',
  'remember',
] as const;

/**
 * Registers the memory tools the key's scopes allow on `server`. Every tool calls the services'
 * HTTP API through `client`, made with the caller's key, so the services scope it to the key's
 * tenant. A refusal of the API (a 400's field errors, a 404) becomes a tool error with the
 * service's message, so the agent can correct itself; nothing is thrown to the transport.
 */
export function registerMemoryTools(
  server: McpServer,
  client: MemoryClient,
  identity: KeyIdentity,
  onCall: (call: ToolCall) => void = () => undefined,
): void {
  /** The user a tool acts for: the argument, else the credential's own user. */
  const userOf = (userId: string | undefined): string => {
    const user = userId ?? identity.userId;
    if (user === undefined)
      throw new Error('userId is required: this credential is of no one user');
    return user;
  };
  const allowed = (scope: Scope) =>
    identity.scopes.includes(scope) || identity.scopes.includes('admin');
  const tool = <Shape extends z.ZodRawShape>(
    name: (typeof TOOL_NAMES)[number],
    scope: Scope,
    config: { title: string; description: string; input: Shape; readOnly: boolean },
    run: (args: z.infer<z.ZodObject<Shape>>) => Promise<CallToolResult>,
  ) => {
    if (!allowed(scope)) return;
    server.registerTool(
      name,
      {
        title: config.title,
        description: config.description,
        inputSchema: config.input,
        annotations: {
          title: config.title,
          readOnlyHint: config.readOnly,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
      },
      (async (args: z.infer<z.ZodObject<Shape>>) => {
        const started = performance.now();
        // A span per call, active while the tool calls the API: the services' spans of the
        // call are in its trace (the client's fetch carries it, `tracedFetch`).
        const result = await inSpan(
          `mcp tool ${name}`,
          { 'mcp.tool': name, 'memory.tenant_id': identity.tenantId },
          async (span) => {
            let outcome: CallToolResult;
            try {
              outcome = await run(args);
            } catch (error) {
              outcome = toolError(name, error);
            }
            if (outcome.isError === true) span.setStatus({ code: SpanStatusCode.ERROR });
            return outcome;
          },
        );
        onCall({
          tool: name,
          tenantId: identity.tenantId,
          keyId: identity.keyId,
          ms: Math.round(performance.now() - started),
          error: result.isError === true,
        });
        return result;
      }) as never,
    );
  };

  tool(
    'search_memory',
    'search',
    {
      title: 'Search memory',
      description:
        "Find past conversations of this tenant about something, best first. Each result cites the conversation id and the message seq ranges of its evidence (what was said), with the conversation's summary. Dates named in the query ('on 3 June', 'in March 2024', 'last week', 'yesterday') favour conversations from then; from/to filter strictly. Use get_messages to read around a cited seq range, get_conversation_summary for the whole summary.",
      input: {
        query: z.string().min(1).max(1000).describe('What to look for, in plain words'),
        mode: z
          .enum(['hybrid', 'keyword', 'semantic'])
          .optional()
          .describe('hybrid (default): words and meaning; keyword: exact words; semantic: meaning'),
        userId: id.optional().describe("Only this user's conversations"),
        from: isoDate.optional().describe('Only conversations active at or after this date'),
        to: isoDate.optional().describe('Only conversations active at or before this date'),
        limit: z.number().int().min(1).max(20).optional().describe('Results (default 5)'),
      },
      readOnly: true,
    },
    async ({ limit, ...params }) => {
      const found = await client.search({ ...params, k: limit ?? 5, evidence: 2 });
      return ok(renderSearch(params.query, found), { results: found.results });
    },
  );

  tool(
    'get_context',
    'search',
    {
      title: 'Get memory context',
      description:
        "Memory as one block of text to put in a prompt, within a token budget: the live conversation's summary first (with conversationId), the user's profile (with userId), then the most relevant summaries and passages of past conversations, each with its date, speakers and a citation [conversation, seq range].",
      input: {
        query: z.string().min(1).max(1000).describe('What the context is for'),
        tokenBudget: z
          .number()
          .int()
          .min(100)
          .max(8000)
          .optional()
          .describe('Most tokens of text (default 1000)'),
        conversationId: id.optional().describe('The conversation in progress'),
        userId: id.optional().describe("Only this user's memory; adds their profile"),
        from: isoDate.optional(),
        to: isoDate.optional(),
      },
      readOnly: true,
    },
    async (params) => {
      const answer = await client.context(params);
      return ok(renderContext(answer), {
        budget: answer.budget,
        tokens: answer.tokens,
        items: answer.items,
      });
    },
  );

  tool(
    'get_conversation_summary',
    'search',
    {
      title: 'Get a conversation summary',
      description:
        'The current summary of one conversation: context, key points, decisions, action items, open questions, entities and dates, with the seq it covers. view=full returns the full sections an older, compressed conversation still keeps.',
      input: {
        conversationId: id.describe('The conversation, as search_memory cites it'),
        view: z.enum(['tier', 'full']).optional().describe('tier (default) or full'),
      },
      readOnly: true,
    },
    async ({ conversationId, view }) => {
      const summary = await client.summary(conversationId, { view });
      return ok(renderSummary(summary), { summary });
    },
  );

  tool(
    'get_messages',
    'ingest',
    {
      title: 'Get messages',
      description:
        'Read the messages of one conversation in order, from after a seq (a cited seq range: afterSeq = seqFrom - 1). Archived messages are read from the verified archive and marked. Returns nextAfterSeq to read on.',
      input: {
        conversationId: id,
        afterSeq: z.number().int().min(0).optional().describe('Start after this seq (default 0)'),
        limit: z.number().int().min(1).max(100).optional().describe('Messages (default 30)'),
      },
      readOnly: true,
    },
    async ({ conversationId, afterSeq, limit }) => {
      const page = await client.messages(conversationId, { afterSeq, limit: limit ?? 30 });
      return ok(renderMessages(page), {
        conversationId,
        items: page.items,
        nextAfterSeq: page.nextAfterSeq,
      });
    },
  );

  tool(
    'get_user_profile',
    'search',
    {
      title: 'Get a user profile',
      description:
        "What a user's conversations say about them: facts, preferences, decisions and open items, each citing the conversations it came from. Built in the background from their summaries.",
      input: {
        userId: id.optional().describe("The user; a user's own credential may leave it out"),
      },
      readOnly: true,
    },
    async ({ userId }) => {
      const profile = await client.profile(userOf(userId));
      return ok(renderProfile(profile), { profile });
    },
  );

  tool(
    'pin_conversation',
    'search',
    {
      title: 'Pin a conversation',
      description:
        'Mark a conversation as one to keep (pinned: true, the default) or release it (false). A pinned conversation counts as most important: it is not compressed past the keep tier nor archived by age.',
      input: {
        conversationId: id,
        pinned: z.boolean().optional().describe('true (default) to pin, false to unpin'),
      },
      readOnly: false,
    },
    async ({ conversationId, pinned }) => {
      const result =
        pinned === false ? await client.unpin(conversationId) : await client.pin(conversationId);
      return ok(
        `Conversation ${result.conversationId} is ${result.pinned ? 'pinned' : 'no longer pinned'}.`,
        { ...result },
      );
    },
  );

  tool(
    'remember',
    'ingest',
    {
      title: 'Remember a message',
      description:
        'Add a message to a conversation through the normal pipeline (validated, deduplicated, stored, summarized, indexed): searchable by its words within seconds. Give messageId to make a retry safe (the same id is stored once).',
      input: {
        conversationId: id,
        userId: id
          .optional()
          .describe("Whose conversation it is; a user's own credential may leave it out"),
        content: z.string().min(1).max(60_000).describe('The text to remember'),
        role: z.enum(['user', 'assistant', 'system', 'tool']).optional().describe('default user'),
        messageId: id.optional().describe('Defaults to a new id'),
        createdAt: z
          .string()
          .max(40)
          .optional()
          .describe('ISO 8601 date-time with offset (default now)'),
      },
      readOnly: false,
    },
    async ({ conversationId, userId, content, role, messageId, createdAt }) => {
      const message = {
        messageId: messageId ?? `mcp-${randomUUID()}`,
        conversationId,
        userId: userOf(userId),
        role: role ?? 'user',
        content,
        createdAt: createdAt ?? new Date().toISOString(),
      };
      const result = await client.ingest(message);
      return ok(
        `Remembered message ${message.messageId} in conversation ${conversationId} (tenant ${identity.tenantId}). It is searchable by its words within seconds, by meaning once embedded.`,
        { accepted: result.accepted, messageId: message.messageId, conversationId },
      );
    },
  );
}

function ok(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A failed call as a tool error an agent can act on: the service's code, message and fields. */
export function toolError(tool: string, error: unknown): CallToolResult {
  let text: string;
  if (error instanceof MemoryApiError) {
    const fields = error.errors.map(
      (field) => `- ${field.field}: ${field.message} (${field.code})`,
    );
    text = [`${tool} failed: ${error.status} ${error.code}: ${error.message}`, ...fields].join(
      '\n',
    );
  } else if (error instanceof MemoryNetworkError) {
    text = `${tool} failed: the memory service did not answer (${error.message}); try again`;
  } else {
    text = `${tool} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { content: [{ type: 'text', text }], isError: true };
}
