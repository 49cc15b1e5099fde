import { sql, type Kysely, type Migration } from 'kysely';

export const readDatasets: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE datasets (
        dataset_id text PRIMARY KEY,
        name text NOT NULL,
        domain text NOT NULL,
        description text NOT NULL,
        format text NOT NULL,
        latest_revision integer,
        revision_count integer NOT NULL DEFAULT 0,
        archived boolean NOT NULL DEFAULT false,
        archived_reason text,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE dataset_revisions (
        dataset_id text NOT NULL,
        revision integer NOT NULL,
        content_hash text NOT NULL,
        record_count integer NOT NULL,
        byte_size double precision NOT NULL,
        splits jsonb NOT NULL,
        parent_revision integer,
        transform_kind text NOT NULL,
        transform jsonb NOT NULL,
        pii_report jsonb,
        quality_report jsonb,
        source_interaction_count integer NOT NULL DEFAULT 0,
        event_id text NOT NULL,
        added_at timestamptz NOT NULL,
        PRIMARY KEY (dataset_id, revision)
      )`.execute(db);
    await sql`CREATE INDEX datasets_registered_idx ON datasets (registered_at, dataset_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE dataset_revisions`.execute(db);
    await sql`DROP TABLE datasets`.execute(db);
  },
};
