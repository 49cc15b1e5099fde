import { sql, type Kysely, type Migration } from 'kysely';

export const readEvaluations: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE evaluations (
        evaluation_id text PRIMARY KEY,
        status text NOT NULL,
        model_name text NOT NULL,
        model_version integer NOT NULL,
        dataset_id text,
        dataset_revision integer,
        suites jsonb NOT NULL,
        judge jsonb,
        gate jsonb NOT NULL,
        worker_id text,
        attempts integer NOT NULL DEFAULT 0,
        completed_examples integer,
        total_examples integer,
        metrics jsonb,
        categories jsonb,
        error_taxonomy jsonb,
        artifacts jsonb,
        gate_passed boolean,
        gate_failures jsonb,
        failure_reason text,
        requested_at timestamptz NOT NULL,
        finished_at timestamptz
      )`.execute(db);
    await sql`CREATE INDEX evaluations_model_idx ON evaluations (model_name, model_version)`.execute(db);
    await sql`CREATE INDEX evaluations_requested_idx ON evaluations (requested_at, evaluation_id)`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE evaluations`.execute(db);
  },
};
