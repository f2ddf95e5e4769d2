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

/** The newest $3 summaries of user $2 in tenant $1 (by their last message), a profile's input. */
export const PROFILE_INPUTS = `SELECT conversation_id, version, sections, full_sections, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND user_id = $2 AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id
        LIMIT $3`;

/** How many of conversations $2 of tenant $1 still have a summary. */
export const ALL_SUMMARIZED = `SELECT count(*)::int AS n FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = ANY($2::varchar[]) AND version > 0`;

/** Every summarized conversation of user $2 in tenant $1 (up to $3, newest first) with its version and last message time: what monthly roll-ups are grouped from. */
export const USER_SUMMARY_KEYS = `SELECT conversation_id, version, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND user_id = $2 AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id
        LIMIT $3`;

/** The summaries of conversations $2 of tenant $1, newest first, as profiles and roll-ups read them. */
export const SUMMARIES_OF = `SELECT conversation_id, version, sections, full_sections, last_message_at
         FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = ANY($2::varchar[]) AND version > 0
        ORDER BY last_message_at DESC NULLS LAST, conversation_id`;

/** The stored importance of each of the keys ($1 tenants, $2 conversations) that has a summary. */
export const IMPORTANCE_OF = `SELECT s.tenant_id, s.conversation_id, s.importance
         FROM conversation_summaries s
         JOIN unnest($1::varchar[], $2::varchar[]) AS k (tenant_id, conversation_id)
           ON s.tenant_id = k.tenant_id AND s.conversation_id = k.conversation_id`;

/** Records what a batch brought ($1..$6: column arrays) and returns the rows as they are now. */
export const RECORD_SEEN = `INSERT INTO conversation_summaries AS s
         (tenant_id, conversation_id, user_id, seen_seq, first_message_at, last_message_at)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[],
                            $5::timestamptz[], $6::timestamptz[])
                AS seen (tenant_id, conversation_id, user_id, seen_seq, first_at, last_at)
        WHERE NOT EXISTS (
          SELECT 1 FROM erasures e
           WHERE e.tenant_id = seen.tenant_id AND e.erased_at >= seen.last_at
             AND e.subject_hash =
                 encode(sha256(convert_to('conversation:' || seen.conversation_id, 'UTF8')), 'hex'))
       ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
         seen_seq = GREATEST(s.seen_seq, EXCLUDED.seen_seq),
         first_message_at = LEAST(s.first_message_at, EXCLUDED.first_message_at),
         last_message_at = GREATEST(s.last_message_at, EXCLUDED.last_message_at),
         last_received_at = CASE WHEN EXCLUDED.seen_seq > s.seen_seq THEN now()
                                 ELSE s.last_received_at END
       RETURNING ${COLUMNS}`;

/** Rows with messages waiting, quiet for their tenant's idle time ($1 now, $2/$3 overrides and default idle ms, $4 limit; see `waiting`). */
export const WAITING = `WITH idle AS (
         SELECT s.tenant_id, s.conversation_id, COALESCE(o.idle_ms, $3::bigint) AS idle_ms
           FROM conversation_summaries s
           LEFT JOIN unnest($1::varchar[], $2::bigint[]) AS o(tenant_id, idle_ms)
             ON o.tenant_id = s.tenant_id
          WHERE s.seen_seq > s.through_seq)
       SELECT ${COLUMNS} FROM conversation_summaries
         JOIN idle USING (tenant_id, conversation_id)
        WHERE idle.idle_ms > 0
          AND last_received_at < now() - idle.idle_ms * interval '1 millisecond'
        ORDER BY last_received_at LIMIT $4`;

/** Moves `through_seq` on ($3) if the row is still at version $4 and through_seq $5 (see `skipThrough`). */
export const SKIP_THROUGH = `UPDATE conversation_summaries SET through_seq = $3, seen_seq = GREATEST(seen_seq, $3),
         updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $4 AND through_seq = $5
       RETURNING ${COLUMNS}`;

/** The statement of `SummaryRepository.summarizedAmong`. */
export const SUMMARIZED_AMONG = `SELECT s.tenant_id, s.conversation_id
         FROM conversation_summaries s
         JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, conversation_id)
           ON s.tenant_id = k.tenant_id AND s.conversation_id = k.conversation_id
        WHERE s.version > 0`;

/** The statement of `SummaryRepository.setPinned`. */
export const SET_PINNED = `UPDATE conversation_summaries
          SET pinned = $3,
              importance_facts = jsonb_set(importance_facts, '{computedAt}', 'null'::jsonb)
        WHERE tenant_id = $1 AND conversation_id = $2 AND version > 0
        RETURNING 1`;

/** The statement of `SummaryRepository.writeTier`. */
export const WRITE_TIER = `UPDATE conversation_summaries SET
         version = $3, tier = $4, sections = $5, text = $6,
         full_sections = COALESCE(full_sections, sections), tier_changed_at = $7,
         updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2`;

/** The statement of `SummaryRepository.resetForRebuild`. */
export const RESET_FOR_REBUILD = `UPDATE conversation_summaries SET through_seq = 0, text = '', sections = NULL,
         full_sections = NULL, memo = NULL,
         llm_pending = false, llm_base = NULL, updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $3 AND through_seq = $4
       RETURNING ${COLUMNS}`;

/** The statement of `SummaryRepository.updateIfAt`. */
export const UPDATE_IF_AT = `UPDATE conversation_summaries SET
         version = $3, through_seq = $4, seen_seq = GREATEST(seen_seq, $4), text = $5,
         sections = $6, memo = $7, backend = $8, llm_pending = $9, llm_base = $10,
         last_update = $11, input_tokens = $12, output_tokens = $13, input_chars = $14,
         output_chars = $15, duration_ms = $16, updated_at = now(),
         tier = 'full', full_sections = NULL,
         tier_changed_at = CASE WHEN tier = 'full' THEN tier_changed_at ELSE now() END
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $17 AND through_seq = $18
       RETURNING ${COLUMNS}`;
