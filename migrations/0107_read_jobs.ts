import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Jobs are projected from *Requested events. claimed_by / lease_until / heartbeat_at belong to the
 * worker runtime: it claims with SELECT ... FOR UPDATE SKIP LOCKED and updates those columns directly;
 * the projection also sets them from *Claimed events, so a rebuild restores the last claimed lease.
 */
export const readJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE jobs (
        job_id text PRIMARY KEY,
        kind text NOT NULL,
        stream_id text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        payload jsonb NOT NULL,
        correlation_id text NOT NULL,
        claimed_by text,
        lease_until timestamptz,
        heartbeat_at timestamptz,
        last_error text,
        requested_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX jobs_claimable_idx ON jobs (kind, status, requested_at)`.execute(db);
    await sql`CREATE INDEX jobs_stream_idx ON jobs (stream_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE jobs`.execute(db);
  },
};
