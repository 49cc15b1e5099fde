import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The largest clock skew the snapshot writer saw among the events up to a snapshot (`max_skew_ms`): how
 * much earlier than the newest recordedAt before it any event's recordedAt was, in log order. Past an
 * event recorded more than that after T, no event up to the newest snapshot is at or before T, so time
 * travel stops reading there instead of a fixed allowance later (src/projections/timeTravel.ts). Null on
 * snapshots written before it was kept: the fixed allowance applies.
 */
export const worldSnapshotSkew: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE world_snapshots ADD COLUMN max_skew_ms double precision`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`ALTER TABLE world_snapshots DROP COLUMN max_skew_ms`.execute(db);
  },
};
