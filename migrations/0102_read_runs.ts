import { sql, type Kysely, type Migration } from 'kysely';

export const readRuns: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE runs (
        run_id text PRIMARY KEY,
        kind text NOT NULL,
        status text NOT NULL,
        base_model text NOT NULL,
        dataset_id text,
        dataset_revision integer,
        method jsonb NOT NULL,
        stages jsonb NOT NULL,
        loss_kind text,
        seed integer,
        max_steps integer,
        worker_id text,
        backend text,
        attempts integer NOT NULL DEFAULT 0,
        current_stage integer,
        last_step integer,
        total_steps integer,
        last_loss double precision,
        last_checkpoint_hash text,
        last_checkpoint_step integer,
        result_artifact_hash text,
        final_loss double precision,
        duration_ms double precision,
        tokens_seen double precision,
        failure_reason text,
        correlation_id text NOT NULL,
        requested_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      )`.execute(db);
    await sql`
      CREATE TABLE run_metrics (
        run_id text NOT NULL,
        step integer NOT NULL,
        stage_index integer NOT NULL,
        epoch double precision NOT NULL,
        loss double precision NOT NULL,
        entity_loss double precision,
        learning_rate double precision NOT NULL,
        grad_norm double precision,
        tokens_per_second double precision,
        elapsed_ms double precision,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, step)
      )`.execute(db);
    await sql`
      CREATE TABLE run_checkpoints (
        run_id text NOT NULL,
        step integer NOT NULL,
        artifact_hash text NOT NULL,
        byte_size double precision NOT NULL,
        saved_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, step)
      )`.execute(db);
    await sql`CREATE INDEX runs_requested_idx ON runs (requested_at, run_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE run_checkpoints`.execute(db);
    await sql`DROP TABLE run_metrics`.execute(db);
    await sql`DROP TABLE runs`.execute(db);
  },
};
