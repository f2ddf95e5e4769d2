// The longer statements of SummaryRepository, the owner of `conversation_summaries` (kept in
// a file of their own so the repository stays readable; test/sql-owners.spec.ts counts this
// file as the owner's). Not exported from the library.

/** Every column of a summary row, as `SummaryRecordRow` holds them. */
export const COLUMNS = `tenant_id, conversation_id, user_id, version, through_seq, seen_seq, tier, text,
  sections, full_sections, memo, backend, llm_pending, llm_base, last_update, input_tokens, output_tokens,
  input_chars, output_chars, duration_ms, published_version, first_message_at, last_message_at,
  last_received_at, updated_at`;

/**
 * What importance is computed from, for up to $5 summarized conversations after ($3, $4) whose
 * facts are missing or stale ($1 now, $2 the reads window in days, $6 an optional tenant): never
 * computed or marked for computing (a pin changed), summary updated or read since, or a day old.
 */
export const IMPORTANCE_FACTS = `
SELECT s.tenant_id, s.conversation_id, s.pinned, c.message_count, s.importance_facts AS previous,
       s.importance AS score_before,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'decisions', '[]')) AS decisions,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'actionItems', '[]')) AS action_items,
       jsonb_array_length(COALESCE(COALESCE(s.full_sections, s.sections)->'entities', '[]')) AS entities,
       (SELECT COALESCE(sum(r.reads), 0)::int FROM conversation_reads r
         WHERE r.tenant_id = s.tenant_id AND r.conversation_id = s.conversation_id
           AND r.day > ($1::timestamptz AT TIME ZONE 'UTC')::date - $2::int) AS recent_reads,
       (SELECT count(*)::int FROM messages m
         WHERE m.tenant_id = s.tenant_id AND m.conversation_id = s.conversation_id) AS stored,
       (SELECT count(*)::int FROM (
          SELECT m.role, m.user_id, lag(m.role) OVER w AS prev_role, lag(m.user_id) OVER w AS prev_user
            FROM messages m
           WHERE m.tenant_id = s.tenant_id AND m.conversation_id = s.conversation_id
          WINDOW w AS (ORDER BY m.seq)) t
         WHERE t.prev_role IS NOT NULL
           AND (t.role <> t.prev_role OR t.user_id <> t.prev_user)) AS speaker_changes
  FROM conversation_summaries s
  JOIN conversations c USING (tenant_id, conversation_id)
 WHERE s.version > 0
   AND (s.tenant_id, s.conversation_id) > ($3, $4)
   AND ($6::varchar IS NULL OR s.tenant_id = $6)
   AND ((s.importance_facts->>'computedAt') IS NULL
        OR s.updated_at > (s.importance_facts->>'computedAt')::timestamptz
        OR (s.importance_facts->>'computedAt')::timestamptz < $1::timestamptz - interval '1 day'
        OR EXISTS (SELECT 1 FROM conversation_reads r
                    WHERE r.tenant_id = s.tenant_id AND r.conversation_id = s.conversation_id
                      AND r.day >= ((s.importance_facts->>'computedAt')::timestamptz AT TIME ZONE 'UTC')::date))
 ORDER BY s.tenant_id, s.conversation_id
 LIMIT $5`;
