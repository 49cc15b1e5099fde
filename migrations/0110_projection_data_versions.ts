import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `data_version` counts the commits that changed a projection's tables (a batch with events it
 * handles, or a rebuild), where `checkpoint` and `updated_at` move with every batch: what a cached
 * read-model answer is checked against, so traffic for one read model leaves the others' answers valid.
 */
export const projectionDataVersions: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE projection_checkpoints ADD COLUMN data_version bigint NOT NULL DEFAULT 0`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`ALTER TABLE projection_checkpoints DROP COLUMN data_version`.execute(db);
  },
};
