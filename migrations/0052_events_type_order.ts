import { sql, type Kysely, type Migration } from 'kysely';
import { readAllOfTypesFunctionMigration } from './0004_read_all_of_types_function.js';

/**
 * readAll restricted to some event types, reading only rows of those types. The first version
 * (0004) walked the whole (transaction_id, global_position) index and fetched every row from the
 * heap to test its type, so time travel on a log of mostly progress reports and interactions read
 * the whole table, and slowed faster than the log grew once the table no longer fit in memory.
 * Now an index on (type, transaction_id, global_position) gives each type's positions in log order:
 * one short index range per type, merged and cut to p_limit, and only those rows are fetched.
 * Same visibility rule as tuneledger_read_all (below the oldest running transaction).
 */
export const eventsTypeOrder: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`CREATE INDEX events_type_order ON events (type, transaction_id, global_position)`.execute(db);
    await sql`
      CREATE OR REPLACE FUNCTION tuneledger_read_all_of_types(p_transaction_id xid8, p_global_position bigint,
                                                              p_limit integer, p_types text[])
      RETURNS TABLE (checkpoint text, event_id text, stream_id text, stream_version integer, type text,
                     schema_version integer, data jsonb, actor text, correlation_id text, causation_id text,
                     recorded_at text, previous_hash text, hash text)
      LANGUAGE sql STABLE
      SET enable_bitmapscan = off
      SET enable_seqscan = off
      AS $$
        WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
        positions AS (
          SELECT p.transaction_id, p.global_position
          FROM (SELECT DISTINCT unnest(p_types) AS type) AS wanted
          CROSS JOIN horizon
          CROSS JOIN LATERAL (
            SELECT e.transaction_id, e.global_position
            FROM events e
            WHERE e.type = wanted.type
              AND (e.transaction_id, e.global_position) > (p_transaction_id, p_global_position)
              AND e.transaction_id < horizon.xmin
            ORDER BY e.transaction_id, e.global_position
            LIMIT p_limit
          ) AS p
          ORDER BY p.transaction_id, p.global_position
          LIMIT p_limit
        )
        SELECT lpad(e.transaction_id::text, 20, '0') || ':' || lpad(e.global_position::text, 20, '0'),
               e.event_id::text, e.stream_id, e.stream_version, e.type, e.schema_version, e.data, e.actor,
               e.correlation_id, e.causation_id,
               to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               e.previous_hash, e.hash
        FROM positions p
        JOIN events e ON e.global_position = p.global_position
        ORDER BY p.transaction_id, p.global_position
      $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await readAllOfTypesFunctionMigration.down!(db);
    await readAllOfTypesFunctionMigration.up(db);
    await sql`DROP INDEX events_type_order`.execute(db);
  },
};
