import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `tuneledger_ledger_events`: the log in global order as `tuneledger verify` hashes it: every field the event
 * hash covers as text (data as jsonb's text output, not parsed), and the position as its two plain numbers.
 * Same index walk and visibility rule as tuneledger_read_all (0002).
 */
export const ledgerEventsFunctionMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION tuneledger_ledger_events(p_transaction_id xid8, p_global_position bigint, p_limit integer)
      RETURNS TABLE (transaction_id text, global_position text, event_id text, stream_id text,
                     stream_version integer, type text, schema_version integer, data text, actor text,
                     correlation_id text, causation_id text, recorded_at text, previous_hash text, hash text)
      LANGUAGE sql STABLE
      SET enable_sort = off
      SET enable_bitmapscan = off
      AS $$
        SELECT e.transaction_id::text, e.global_position::text, e.event_id::text, e.stream_id, e.stream_version,
               e.type, e.schema_version, e.data::text, e.actor, e.correlation_id, e.causation_id,
               to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               e.previous_hash, e.hash
        FROM events e
        WHERE (e.transaction_id, e.global_position) > (p_transaction_id, p_global_position)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.transaction_id, e.global_position
        LIMIT p_limit
      $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION tuneledger_ledger_events(xid8, bigint, integer)`.execute(db);
  },
};
