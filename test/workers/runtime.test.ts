/**
 * The job runtime over the real jobs table: SKIP LOCKED claiming, retry with backoff, giving up, take-over
 * after an expired lease, and graceful stop. Jobs of a test kind are inserted as the jobs projection would.
 */
import { sql } from 'kysely';
import type { Database } from '../../src/eventstore/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  claimNextJob,
  runWorker,
  type ClaimedJob,
  type JobHandler,
  type JobOutcome,
} from '../../src/workers/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';

type Db = Database['db'];

async function addJob(db: Db, jobId: string, kind = 'probe', requestedAt = new Date().toISOString()) {
  await db
    .insertInto('jobs')
    .values({
      job_id: jobId,
      kind,
      stream_id: `job-${jobId}`,
      status: 'queued',
      attempts: 0,
      payload: JSON.stringify({ jobId }),
      correlation_id: jobId,
      requested_at: requestedAt,
      updated_at: requestedAt,
    })
    .execute();
}

async function jobRow(db: Db, jobId: string) {
  return db
    .selectFrom('jobs')
    .leftJoin('job_retries', 'job_retries.job_id', 'jobs.job_id')
    .select([
      'jobs.status',
      'jobs.claimed_by',
      'jobs.last_error',
      'job_retries.failures',
      'job_retries.not_before',
    ])
    .where('jobs.job_id', '=', jobId)
    .executeTakeFirstOrThrow();
}

for (const target of databaseTargets) {
  describe(`job runtime (${target.name})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database?.close());
    beforeEach(() => database.reset());

    it('claims each job once, oldest first, only of its kinds', async () => {
      await addJob(database.db, 'b', 'probe', '2026-01-02T00:00:00Z');
      await addJob(database.db, 'a', 'probe', '2026-01-01T00:00:00Z');
      await addJob(database.db, 'x', 'other', '2025-01-01T00:00:00Z');
      const claims = await Promise.all(
        ['w1', 'w2', 'w3'].map((workerId) =>
          claimNextJob(database.db, { kinds: ['probe'], workerId, leaseMs: 60_000 }),
        ),
      );
      const ids = claims.map((c) => c?.jobId).filter((id) => id !== undefined);
      expect(ids.sort()).toEqual(['a', 'b']);
      const first = await claimNextJob(database.db, {
        kinds: ['probe', 'other'],
        workerId: 'w4',
        leaseMs: 60_000,
      });
      expect(first?.jobId).toBe('x');
      expect((await jobRow(database.db, 'a')).status).toBe('running');
    });

    it('takes over a job whose lease expired', async () => {
      await addJob(database.db, 'a');
      expect(
        (await claimNextJob(database.db, { kinds: ['probe'], workerId: 'dead', leaseMs: 200 }))?.jobId,
      ).toBe('a');
      expect(
        await claimNextJob(database.db, { kinds: ['probe'], workerId: 'w2', leaseMs: 60_000 }),
      ).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const taken = await claimNextJob(database.db, { kinds: ['probe'], workerId: 'w2', leaseMs: 60_000 });
      expect(taken?.jobId).toBe('a');
      expect((await jobRow(database.db, 'a')).claimed_by).toBe('w2');
    });

    it('retries a failing job with backoff, then gives it up', async () => {
      await addJob(database.db, 'a');
      const attempts: number[] = [];
      const gaveUp: string[] = [];
      const handler: JobHandler = {
        async run(job: ClaimedJob) {
          attempts.push(Date.now());
          throw new Error(`boom ${job.failures + 1}`);
        },
        async giveUp(job, _context, error) {
          gaveUp.push(`${job.jobId}: ${error}`);
        },
      };
      const worker = runWorker({
        kinds: ['probe'],
        handlers: { probe: handler },
        db: database.db,
        pollMs: 20,
        backoffMs: 300,
        maxFailures: 3,
      });
      await expect.poll(() => gaveUp.length, { timeout: 10_000, interval: 20 }).toBe(1);
      await worker.stop();
      expect(attempts).toHaveLength(3);
      // Backoff 300 ms, then 600 ms (minus the poll and clock slack).
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(250);
      expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(550);
      expect(gaveUp[0]).toBe('a: boom 3');
      const row = await jobRow(database.db, 'a');
      expect(row).toMatchObject({ status: 'failed', failures: 3, last_error: 'boom 3' });
    });

    it('keeps no PII of a failure message in the jobs table or the log', async () => {
      await addJob(database.db, 'p');
      const logged: string[] = [];
      const gaveUp: string[] = [];
      const worker = runWorker({
        kinds: ['probe'],
        handlers: {
          probe: {
            async run() {
              // A failure met in the data may quote it.
              throw new Error('line 3 does not parse: "mail li.na@example.com, call 13812345678"');
            },
            async giveUp(_job, _context, error) {
              gaveUp.push(error);
            },
          },
        },
        db: database.db,
        pollMs: 20,
        backoffMs: 10,
        maxFailures: 1,
        log: {
          info: () => {},
          warn: (message, fields) => logged.push(`${message} ${JSON.stringify(fields)}`),
        },
      });
      await expect.poll(() => gaveUp.length, { timeout: 10_000, interval: 20 }).toBe(1);
      await worker.stop();
      const expected = 'line 3 does not parse: "mail [EMAIL], call [PHONE]"';
      expect(gaveUp).toEqual([expected]);
      expect((await jobRow(database.db, 'p')).last_error).toBe(expected);
      expect(logged.join('\n')).toContain('[EMAIL]');
      expect(logged.join('\n')).not.toMatch(/li\.na@example\.com|13812345678/);
    });

    it('renews the lease while a job runs, and releases it on a graceful stop', async () => {
      await addJob(database.db, 'a');
      let started = false;
      const handler: JobHandler = {
        run(_job, context) {
          started = true;
          return new Promise<JobOutcome>((resolve) => {
            context.signal.addEventListener('abort', () => resolve({ status: 'released' }));
          });
        },
      };
      const worker = runWorker({
        kinds: ['probe'],
        handlers: { probe: handler },
        db: database.db,
        pollMs: 20,
        leaseMs: 300,
      });
      await expect.poll(() => started, { timeout: 5000, interval: 20 }).toBe(true);
      // Held past several lease lengths: the heartbeat keeps it from being taken over.
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect(
        await claimNextJob(database.db, { kinds: ['probe'], workerId: 'other', leaseMs: 1000 }),
      ).toBeUndefined();
      await worker.stop();
      const row = await jobRow(database.db, 'a');
      expect(row).toMatchObject({ status: 'queued', claimed_by: null, failures: 0 });
      expect(
        (await claimNextJob(database.db, { kinds: ['probe'], workerId: 'other', leaseMs: 1000 }))?.jobId,
      ).toBe('a');
    });

    it('finishes a job with its outcome', async () => {
      await addJob(database.db, 'a');
      const worker = runWorker({
        kinds: ['probe'],
        handlers: { probe: { run: async () => ({ status: 'succeeded' }) } },
        db: database.db,
        pollMs: 20,
      });
      await expect
        .poll(async () => (await jobRow(database.db, 'a')).status, { timeout: 5000, interval: 20 })
        .toBe('succeeded');
      await worker.stop();
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM jobs WHERE status = 'running'`.execute(database.db);
      expect(rows[0]!.n).toBe(0);
    });
  });
}
