import type * as client from '@memory/client';
import type { MemorySummary } from '@memory/contracts';
import type { UserProfile } from '@memory/summarization';
import type { z } from 'zod';
import type { contextRequestSchema } from './context-request.dto';
import type { ContextResponse } from './context-response.dto';
import type { searchRequestSchema } from './search-request.dto';
import type { SearchResponse } from './search-response.dto';
import type { SummaryHistoryPage } from './summary-history.service';
import type { WhoAmI } from './whoami.controller';

/** `true` when every A is a B: the checks below fail the typecheck when the two drift apart. */
type Fits<A, B> = [A] extends [B] ? true : false;

// What the client sends is what the schemas take, and the other way round.
const requests: true[] = [
  true satisfies Fits<client.SearchParams, z.input<typeof searchRequestSchema>>,
  true satisfies Fits<z.input<typeof searchRequestSchema>, client.SearchParams>,
  true satisfies Fits<client.ContextParams, z.input<typeof contextRequestSchema>>,
  true satisfies Fits<z.input<typeof contextRequestSchema>, client.ContextParams>,
];
// What the service answers fits what the client declares.
const responses: true[] = [
  true satisfies Fits<SearchResponse, client.SearchResponse>,
  true satisfies Fits<client.SearchResponse, SearchResponse>,
  true satisfies Fits<ContextResponse, client.ContextResponse>,
  true satisfies Fits<client.ContextResponse, ContextResponse>,
  true satisfies Fits<MemorySummary, client.ConversationSummary>,
  true satisfies Fits<SummaryHistoryPage, client.SummaryHistoryPage>,
  true satisfies Fits<Omit<UserProfile, never>, client.UserProfile>,
  true satisfies Fits<WhoAmI, client.KeyIdentity>,
];

describe('the client types (libs/client) against the search service', () => {
  it('are checked by the typecheck of this file', () => {
    expect([...requests, ...responses].every(Boolean)).toBe(true);
  });
});
