import { KeyIdentity, MemoryClient } from '@memory/client';
import { tracedFetch } from '@memory/telemetry';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerMemoryTools, ToolCall } from './memory-tools';
import { McpSettings } from './mcp.settings';

export const MCP_SERVER_INFO = { name: 'conversation-memory', version: '0.1.0' };

const INSTRUCTIONS =
  'Long-term memory of past conversations. Use get_context before answering a question that ' +
  'may depend on earlier conversations (it returns a prompt-ready block with citations), ' +
  'search_memory to find conversations about something, get_messages to read the exact words ' +
  'around a cited seq range, and remember to store something the user wants kept. Cite ' +
  'memory as [conversationId, seq range].';

/** A client of the services' API made with `apiKey`; its calls carry the active trace. */
export function memoryClient(settings: McpSettings, apiKey: string): MemoryClient {
  return new MemoryClient({
    apiKey,
    urls: settings.urls,
    timeoutMs: 30_000,
    retries: 2,
    fetch: tracedFetch(),
  });
}

/** An MCP server with the tools `identity`'s scopes allow, calling the API as `client`. */
export function memoryServer(
  client: MemoryClient,
  identity: KeyIdentity,
  onCall: (call: ToolCall) => void,
): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    capabilities: { tools: {} },
    instructions: INSTRUCTIONS,
  });
  registerMemoryTools(server, client, identity, onCall);
  return server;
}
