import {
  FusedHit,
  ListQuery,
  PASSAGE_WINDOW,
  passageHydrateBody,
  PassageScope,
  passageTopUpBody,
} from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { ArchiveStatus } from './archive-status.service';
import { IndexedHit, PassageHit, ResultEvidence } from './search-hit.mapper';
import { Evidence } from './search-response.dto';
import { SearchAnswer, topHitsOf } from './summary.searcher';

/** The passage ranking of a query: fused hits (ranks `[keyword, semantic]`) and what they are. */
export interface PassageRanking {
  fused: readonly FusedHit[];
  conversationOf: ReadonlyMap<string, string>;
  /** Passages that have a vector. */
  embedded: ReadonlySet<string>;
}

/** A conversation of a page: its id, its summary document if any, its fused score. */
export interface PageConversation {
  conversationId: string;
  summary?: IndexedHit;
  score: number;
}

/**
 * The requests a page's evidence needs, to send with the page's other requests, and how to turn
 * their answers into each conversation's evidence.
 */
export interface EvidencePlan {
  /** The passages chosen by id, then the top-up: none, one or both. */
  queries: ListQuery[];
  /** The evidence of each conversation of `page` from the answers to `queries`, in order. */
  finish(
    answers: readonly SearchAnswer[],
    page: readonly PageConversation[],
  ): Promise<Map<string, ResultEvidence>>;
}

/**
 * The evidence of a page's conversations: each one's best passages in the query's passage
 * ranking; for one the candidate lists held fewer of, one more request tops it up (BM25 on
 * the conversation's passages, then the earliest). A conversation left without passages whose
 * messages are archived shows evidence from its summary instead.
 */
@Injectable()
export class EvidenceFinder {
  constructor(private readonly archives: ArchiveStatus) {}

  /**
   * What `conversationIds` (a page, in order) need: the passages to fetch by id and the
   * conversations to top up. Needs only the passage ranking, so its requests go out with the
   * page's summaries.
   */
  plan(
    scope: PassageScope,
    text: string,
    conversationIds: readonly string[],
    ranking: PassageRanking,
    perConversation: number,
  ): EvidencePlan {
    const chosen = chooseEvidence(ranking, conversationIds, perConversation);
    const ids = [...chosen.values()].flat().map((hit) => hit.id);
    const short = [...chosen.keys()].filter(
      (id) => (chosen.get(id)?.length ?? 0) < perConversation && perConversation > 0,
    );
    const queries: ListQuery[] = [];
    if (ids.length > 0)
      queries.push({ target: 'passages', body: passageHydrateBody(scope, ids, text) });
    if (short.length > 0)
      queries.push({
        target: 'passages',
        body: passageTopUpBody(scope, short, text, perConversation),
      });
    return {
      queries,
      finish: (answers, page) => {
        const [hydrated, topUpAnswer] = ids.length > 0 ? answers : [undefined, ...answers];
        const topUp =
          short.length > 0 ? topHitsOf(topUpAnswer?.aggregations) : new Map<string, PassageHit[]>();
        return this.finish(scope, page, ranking, perConversation, chosen, hydrated, topUp);
      },
    };
  }

  private async finish(
    scope: PassageScope,
    page: readonly PageConversation[],
    ranking: PassageRanking,
    perConversation: number,
    chosen: ReadonlyMap<string, FusedHit[]>,
    hydrated: SearchAnswer | undefined,
    topUp: ReadonlyMap<string, PassageHit[]>,
  ): Promise<Map<string, ResultEvidence>> {
    const byId = new Map((hydrated?.hits ?? []).map((hit) => [hit._id, hit as PassageHit]));
    const evidence = new Map<string, Evidence[]>();
    for (const [conversationId, hits] of chosen) {
      const items = hits.flatMap((fused) => {
        const hit = byId.get(fused.id);
        return hit ? [toEvidence(hit, fused.score, matchedBy(fused, ranking))] : [];
      });
      const seen = new Set(hits.map((fused) => fused.id));
      for (const hit of topUp.get(conversationId) ?? []) {
        if (items.length >= perConversation) break;
        if (!hit._id || seen.has(hit._id)) continue;
        seen.add(hit._id);
        items.push(toEvidence(hit, 0, hit.highlight?.text?.length ? ['keyword'] : []));
      }
      evidence.set(conversationId, items);
    }

    // Only conversations with no passage at all can be archived ones: one query for them.
    const withPassages = new Set(ranking.conversationOf.values());
    const silent = [...chosen.keys()].filter(
      (id) => !withPassages.has(id) && !topUp.has(id) && (evidence.get(id)?.length ?? 0) === 0,
    );
    const archived = await this.archives.archivedAmong(scope.tenantId, silent);
    return new Map(
      page.map((entry): [string, ResultEvidence] => {
        if (archived.has(entry.conversationId))
          return [
            entry.conversationId,
            {
              evidenceSource: 'summary',
              evidence: summaryEvidence(entry.summary, entry.score, perConversation),
            },
          ];
        return [
          entry.conversationId,
          { evidenceSource: 'messages', evidence: evidence.get(entry.conversationId) ?? [] },
        ];
      }),
    );
  }
}

/**
 * The passages each of `conversationIds` shows as evidence, best first by the passage ranking:
 * at most `perConversation`, none overlapping another (windows overlap by half: a window next to
 * one already chosen would repeat its messages).
 */
export function chooseEvidence(
  ranking: Pick<PassageRanking, 'fused' | 'conversationOf'>,
  conversationIds: readonly string[],
  perConversation: number,
): Map<string, FusedHit[]> {
  const chosen = new Map<string, FusedHit[]>(conversationIds.map((id) => [id, []]));
  for (const hit of ranking.fused) {
    const list = chosen.get(ranking.conversationOf.get(hit.id) ?? '');
    if (list && list.length < perConversation && !list.some((other) => overlaps(other, hit)))
      list.push(hit);
  }
  return chosen;
}

/**
 * A passage ranking cut down to the evidence `conversationIds` would show
 * ({@link chooseEvidence}): what a later page needs of it, in a fraction of the memory.
 */
export function narrowRanking<Ranking extends PassageRanking>(
  ranking: Ranking,
  conversationIds: readonly string[],
  perConversation: number,
): Ranking {
  const hits = [...chooseEvidence(ranking, conversationIds, perConversation).values()].flat();
  const ids = new Set(hits.map((hit) => hit.id));
  return {
    ...ranking,
    fused: ranking.fused.filter((hit) => ids.has(hit.id)),
    conversationOf: new Map([...ids].map((id) => [id, ranking.conversationOf.get(id) ?? ''])),
    embedded: new Set([...ranking.embedded].filter((id) => ids.has(id))),
  };
}

/** Whether two passages of one conversation share messages (their windows overlap). */
function overlaps(a: FusedHit, b: FusedHit): boolean {
  return Math.abs(windowOf(a.id) - windowOf(b.id)) < PASSAGE_WINDOW.size;
}

/** The window (first seq) of a passage id, `tenant/conversation/window`. */
function windowOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('/') + 1));
}

function matchedBy(hit: FusedHit, ranking: PassageRanking): Evidence['matchedBy'] {
  const [keyword, semantic] = hit.ranks;
  const by: Evidence['matchedBy'] = [];
  if (keyword !== null && keyword !== undefined) by.push('keyword');
  if (semantic !== null && semantic !== undefined && ranking.embedded.has(hit.id))
    by.push('semantic');
  return by;
}

/** A passage as evidence; `highlights` HTML-encoded by OpenSearch (as a result's). */
export function toEvidence(hit: PassageHit, score: number, by: Evidence['matchedBy']): Evidence {
  const source = hit._source ?? {};
  return {
    seqFrom: source.seqFrom ?? 0,
    seqTo: source.seqTo ?? 0,
    messageIds: source.messageIds ?? [],
    speakers: source.speakers ?? [],
    at: source.lastAt ?? null,
    text: source.text ?? '',
    highlights: hit.highlight?.text ?? [],
    score,
    matchedBy: by,
  };
}

/**
 * Evidence of an archived conversation from its summary document: the key points that match the
 * query words (highlighted whole), else the matching fragments of its text, else its first key
 * points; each spans the summary's seqs (1 to throughSeq) and cites no message.
 */
export function summaryEvidence(
  summary: IndexedHit | undefined,
  score: number,
  limit: number,
): Evidence[] {
  if (!summary || limit === 0) return [];
  const source = summary._source ?? {};
  const highlight = summary.highlight ?? {};
  const item = (text: string, highlights: string[]): Evidence => ({
    seqFrom: 1,
    seqTo: source.throughSeq ?? 0,
    messageIds: [],
    speakers: source.userId ? [source.userId] : [],
    at: source.lastMessageAt ?? null,
    text,
    highlights,
    score,
    matchedBy: highlights.length > 0 ? ['keyword'] : [],
  });
  const points = highlight.keyPoints ?? [];
  if (points.length > 0) return points.slice(0, limit).map((point) => item(plain(point), [point]));
  const fragments = highlight.text ?? [];
  if (fragments.length > 0)
    return fragments.slice(0, limit).map((fragment) => item(plain(fragment), [fragment]));
  return (source.keyPoints ?? []).slice(0, limit).map((point) => item(point, []));
}

/** The plain text of an HTML-encoded highlight. */
function plain(html: string): string {
  return html
    .replace(/<\/?em>/g, '')
    .replace(/&(amp|lt|gt|quot|#x27|#x2F);/g, (entity) => ENTITIES[entity] ?? entity);
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x2F;': '/',
};
