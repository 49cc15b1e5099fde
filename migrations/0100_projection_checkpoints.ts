import { sql, type Kysely, type Migration } from 'kysely';

/** One row per projection: where it stands in the global log, written in the same transaction as its rows. */
export const projectionCheckpoints: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        version integer NOT NULL,
        checkpoint text NOT NULL,
        events_applied bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE projection_checkpoints`.execute(db);
  },
};
