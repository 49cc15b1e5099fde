import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Snapshots of the world time travel folds (registry, deployments, lineage), so an asOf query folds
 * only from the nearest snapshot before its moment. Derived data: deleting rows changes no answer.
 * `checkpoint` is the store checkpoint of the last event folded in; `covers_until` the latest
 * recordedAt among the events folded (a query at T may start from a snapshot only if it covers
 * nothing after T); `fold_version` the version of the fold code that built it (others are ignored).
 * `state` is json, not jsonb, so attribute order survives the round trip.
 */
export const worldSnapshots: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE world_snapshots (
        fold_version integer NOT NULL,
        checkpoint text NOT NULL,
        covers_until timestamptz NOT NULL,
        events_read bigint NOT NULL,
        events_folded bigint NOT NULL,
        state json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (fold_version, checkpoint)
      )`.execute(db);
    await sql`CREATE INDEX world_snapshots_covers_until ON world_snapshots (fold_version, covers_until)`.execute(
      db,
    );
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP TABLE world_snapshots`.execute(db);
  },
};
