import { sql, type Kysely, type Migration } from 'kysely';

export const readDeployments: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE deployments (
        deployment_name text PRIMARY KEY,
        status text NOT NULL,
        environment text,
        model_name text,
        active_version integer,
        previous_version integer,
        requested_version integer,
        endpoint text,
        degradation_count integer NOT NULL DEFAULT 0,
        rollback_count integer NOT NULL DEFAULT 0,
        last_degradation jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE deployment_history (
        event_id text PRIMARY KEY,
        deployment_name text NOT NULL,
        stream_version integer NOT NULL,
        kind text NOT NULL,
        model_name text,
        version integer,
        from_version integer,
        details jsonb NOT NULL,
        recorded_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX deployment_history_idx ON deployment_history (deployment_name, stream_version)`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE deployment_history`.execute(db);
    await sql`DROP TABLE deployments`.execute(db);
  },
};
