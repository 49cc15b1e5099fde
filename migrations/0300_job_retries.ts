import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The worker runtime's own bookkeeping beside the projected jobs table: failures of a job and when it
 * may be claimed again (exponential backoff). A projection rebuild of `jobs` leaves it alone.
 */
export const jobRetries: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE job_retries (
        job_id text PRIMARY KEY,
        failures integer NOT NULL DEFAULT 0,
        not_before timestamptz NOT NULL,
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE job_retries`.execute(db);
  },
};
