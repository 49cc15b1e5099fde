import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Indexes for the lists' keyset order and time windows that had none: jobs page by
 * (requested_at, job_id) (and filter on requested_at), deployment history filters on recorded_at
 * within a deployment, and runs of one status page by (requested_at, run_id).
 */
export const readModelTimeIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE INDEX jobs_requested_idx ON jobs (requested_at, job_id)`.execute(db);
    await sql`CREATE INDEX deployment_history_recorded_idx ON deployment_history (deployment_name, recorded_at)`.execute(
      db,
    );
    await sql`CREATE INDEX runs_status_requested_idx ON runs (status, requested_at, run_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX IF EXISTS runs_status_requested_idx`.execute(db);
    await sql`DROP INDEX IF EXISTS deployment_history_recorded_idx`.execute(db);
    await sql`DROP INDEX IF EXISTS jobs_requested_idx`.execute(db);
  },
};
