import { sql, type Kysely, type Migration } from 'kysely';

export const readRegistry: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE models (
        model_name text PRIMARY KEY,
        latest_version integer NOT NULL,
        staging_version integer,
        production_version integer,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE model_versions (
        model_name text NOT NULL,
        version integer NOT NULL,
        run_id text,
        base_model text,
        artifacts jsonb NOT NULL,
        training_summary jsonb,
        stage text NOT NULL,
        retained boolean NOT NULL,
        evidence jsonb,
        approved_by text,
        archived_reason text,
        registered_event_id text NOT NULL,
        registered_at timestamptz NOT NULL,
        promoted_at timestamptz,
        archived_at timestamptz,
        PRIMARY KEY (model_name, version)
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE model_versions`.execute(db);
    await sql`DROP TABLE models`.execute(db);
  },
};
