/**
 * The jobs table as a queue: claims with SKIP LOCKED, leases, releases with backoff, settlements. The
 * worker runtime uses it directly when it shares the database; the API runs it for workers that do not.
 */
import { sql, type Kysely } from 'kysely';

/** A job this worker holds: a row of the projected jobs table, claimed under a lease. */
export interface ClaimedJob {
  readonly jobId: string;
  readonly kind: string;
  readonly streamId: string;
  /** The data of the *Requested event the job was projected from. */
  readonly payload: unknown;
  readonly correlationId: string;
  /** Failed attempts so far (released with an error). */
  readonly failures: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shared database holds every area's tables
type Db = Kysely<any>;

interface JobRow {
  job_id: string;
  kind: string;
  stream_id: string;
  payload: unknown;
  correlation_id: string;
  failures: number | null;
}

/**
 * Claims the oldest claimable job of the given kinds: queued, or running under a lease that expired (its
 * worker died), and not waiting out a retry backoff. SKIP LOCKED lets any number of workers claim at once
 * without waiting on each other or taking the same row.
 */
export async function claimNextJob(
  db: Db,
  options: { readonly kinds: readonly string[]; readonly workerId: string; readonly leaseMs: number },
): Promise<ClaimedJob | undefined> {
  if (options.kinds.length === 0) return undefined;
  const kinds = sql.join(options.kinds.map((kind) => sql`${kind}`));
  const { rows } = await sql<JobRow>`
    WITH next AS (
      SELECT j.job_id, r.failures FROM jobs j
      LEFT JOIN job_retries r ON r.job_id = j.job_id
      WHERE j.kind IN (${kinds})
        AND (j.status = 'queued' OR (j.status = 'running' AND (j.lease_until IS NULL OR j.lease_until < now())))
        AND (r.not_before IS NULL OR r.not_before <= now())
      ORDER BY j.requested_at, j.job_id
      LIMIT 1
      FOR UPDATE OF j SKIP LOCKED
    )
    UPDATE jobs SET status = 'running', claimed_by = ${options.workerId},
      lease_until = now() + ${options.leaseMs}::int * interval '1 millisecond',
      heartbeat_at = now(), updated_at = now(), started_at = coalesce(started_at, now())
    FROM next WHERE jobs.job_id = next.job_id
    RETURNING jobs.job_id, jobs.kind, jobs.stream_id, jobs.payload, jobs.correlation_id,
      next.failures`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    jobId: row.job_id,
    kind: row.kind,
    streamId: row.stream_id,
    payload: typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload,
    correlationId: row.correlation_id,
    failures: row.failures ?? 0,
  };
}

/** Extends the lease; false when this worker no longer holds the job (taken over, or finished). */
export async function renewJobLease(
  db: Db,
  jobId: string,
  workerId: string,
  leaseMs: number,
): Promise<boolean> {
  const { rows } = await sql<{ job_id: string }>`
    UPDATE jobs SET lease_until = now() + ${leaseMs}::int * interval '1 millisecond', heartbeat_at = now()
    WHERE job_id = ${jobId} AND claimed_by = ${workerId} AND status = 'running'
    RETURNING job_id`.execute(db);
  return rows.length > 0;
}

/**
 * Gives a job back to the queue. With an error it counts as a failure and waits `backoffMs` before it can
 * be claimed again; returns the failures so far.
 */
export async function releaseJob(
  db: Db,
  jobId: string,
  workerId: string,
  options: { readonly error?: string; readonly backoffMs?: number } = {},
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`
      UPDATE jobs SET status = 'queued', claimed_by = NULL, lease_until = NULL, updated_at = now(),
        last_error = coalesce(${options.error ?? null}, last_error)
      WHERE job_id = ${jobId} AND claimed_by = ${workerId} AND status = 'running'`.execute(trx);
    const failed = options.error !== undefined ? 1 : 0;
    const { rows } = await sql<{ failures: number }>`
      INSERT INTO job_retries (job_id, failures, not_before, last_error, updated_at)
      VALUES (${jobId}, ${failed}, now() + ${options.backoffMs ?? 0}::int * interval '1 millisecond', ${options.error ?? null}, now())
      ON CONFLICT (job_id) DO UPDATE SET
        failures = job_retries.failures + ${failed},
        not_before = excluded.not_before,
        last_error = coalesce(excluded.last_error, job_retries.last_error),
        updated_at = now()
      RETURNING failures`.execute(trx);
    return rows[0]!.failures;
  });
}

/**
 * Marks a job finished when `workerId` holds it, or when it already has that status (an outcome event
 * projected first); false otherwise. What the API's finishJob does for a worker outside the database.
 */
export async function finishHeldJob(
  db: Db,
  jobId: string,
  workerId: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  error?: string,
): Promise<boolean> {
  const { rows } = await sql<{ job_id: string }>`
    UPDATE jobs SET status = ${status}, claimed_by = NULL, lease_until = NULL,
      finished_at = coalesce(finished_at, now()), updated_at = now(),
      last_error = coalesce(${error ?? null}, last_error)
    WHERE job_id = ${jobId}
      AND ((claimed_by = ${workerId} AND status = 'running') OR status = ${status})
    RETURNING job_id`.execute(db);
  return rows.length > 0;
}

/**
 * Marks a job finished at once; the outcome event the handler appended moves the projected row to the
 * same status when the projection gets there, so no other worker claims it in between.
 */
export async function finishJob(
  db: Db,
  jobId: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  error?: string,
): Promise<void> {
  await sql`
    UPDATE jobs SET status = ${status}, claimed_by = NULL, lease_until = NULL, finished_at = now(), updated_at = now(),
      last_error = coalesce(${error ?? null}, last_error)
    WHERE job_id = ${jobId}`.execute(db);
}
