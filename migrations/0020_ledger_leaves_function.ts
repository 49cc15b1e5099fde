import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `tuneledger_ledger_leaves`: the log in global order with only what the ledger's Merkle tree needs of each
 * event (its position and stored hash), for checkpointing without reading every event's data. Same index walk
 * and visibility rule as tuneledger_read_all (0002): only events below the oldest running transaction.
 */
export const ledgerLeavesFunctionMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION tuneledger_ledger_leaves(p_transaction_id xid8, p_global_position bigint, p_limit integer)
      RETURNS TABLE (checkpoint text, stream_id text, hash text)
      LANGUAGE sql STABLE
      SET enable_sort = off
      SET enable_bitmapscan = off
      AS $$
        SELECT lpad(e.transaction_id::text, 20, '0') || ':' || lpad(e.global_position::text, 20, '0'),
               e.stream_id, e.hash
        FROM events e
        WHERE (e.transaction_id, e.global_position) > (p_transaction_id, p_global_position)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.transaction_id, e.global_position
        LIMIT p_limit
      $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION tuneledger_ledger_leaves(xid8, bigint, integer)`.execute(db);
  },
};
