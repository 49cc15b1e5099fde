import { sql, type Kysely, type Migration } from 'kysely';

/**
 * readAll restricted to some event types, for readers that fold a few kinds of events out of a long
 * log (time travel reads registry, deployment and lineage events, not every progress report): the
 * rows of other types are skipped inside PostgreSQL, never sent or parsed. Same index walk and
 * visibility rule as tuneledger_read_all.
 */
export const readAllOfTypesFunctionMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION tuneledger_read_all_of_types(p_transaction_id xid8, p_global_position bigint,
                                                   p_limit integer, p_types text[])
      RETURNS TABLE (checkpoint text, event_id text, stream_id text, stream_version integer, type text,
                     schema_version integer, data jsonb, actor text, correlation_id text, causation_id text,
                     recorded_at text, previous_hash text, hash text)
      LANGUAGE sql STABLE
      SET enable_sort = off
      SET enable_bitmapscan = off
      AS $$
        SELECT lpad(e.transaction_id::text, 20, '0') || ':' || lpad(e.global_position::text, 20, '0'),
               e.event_id::text, e.stream_id, e.stream_version, e.type, e.schema_version, e.data, e.actor,
               e.correlation_id, e.causation_id,
               to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               e.previous_hash, e.hash
        FROM events e
        WHERE (e.transaction_id, e.global_position) > (p_transaction_id, p_global_position)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          AND e.type = ANY(p_types)
        ORDER BY e.transaction_id, e.global_position
        LIMIT p_limit
      $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION tuneledger_read_all_of_types(xid8, bigint, integer, text[])`.execute(db);
  },
};
