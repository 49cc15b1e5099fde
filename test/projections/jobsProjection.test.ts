/**
 * The jobs read model has two writers: the projection (from events) and the job queue (claims, leases,
 * releases, straight in SQL). The projection must never undo what the queue did after the event it applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { claimNextJob } from '../../src/workers/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';

for (const target of databaseTargets) {
  describe(`jobs read model and the job queue (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let runner: ProjectionRunner;
    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database);
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
    });
    afterAll(async () => {
      await store?.close();
      await database?.close();
    });

    const project = async (checkpoint: string) => {
      await runner.catchUp({ until: checkpoint, timeoutMs: 30_000 });
    };
    const job = (jobId: string) =>
      database.db
        .selectFrom('jobs')
        .select(['status', 'claimed_by'])
        .where('job_id', '=', jobId)
        .executeTakeFirstOrThrow();

    it("an expired lease projected after the queue handed the job on leaves the new holder's claim", async () => {
      const requested = generateLifecycle({ events: 50 })
        .flatMap((append) => append.events)
        .find((event) => event.type === 'TrainingRunRequested')!;
      const runId = `${(requested.data as { runId: string }).runId}-queue-${target.name}`;
      const streamId = `run-${runId}`;
      const appended = await store.append(
        streamId,
        [{ ...requested, data: { ...(requested.data as object), runId } }],
        'no_stream',
        { actor: 'test' },
      );
      await project(appended.events[0]!.checkpoint);
      expect(await job(`train-${runId}`)).toEqual({ status: 'queued', claimed_by: null });

      // The queue gives the job to w2 (the expiry of w1's lease is recorded with w2's claim, later).
      const claimed = await claimNextJob(database.db, { kinds: ['train'], workerId: 'w2', leaseMs: 60_000 });
      expect(claimed?.jobId).toBe(`train-${runId}`);
      const expiry = (workerId: string) => ({
        type: 'TrainingRunLeaseExpired',
        data: {
          runId,
          workerId,
          attempt: 1,
          leaseUntil: new Date().toISOString(),
          lastStep: 0,
          detectedAt: new Date().toISOString(),
        },
      });
      const expired = await store.append(streamId, [expiry('w1')], 1, { actor: 'test' });
      await project(expired.events[0]!.checkpoint);
      expect(await job(`train-${runId}`)).toEqual({ status: 'running', claimed_by: 'w2' });

      // The holder's own lease expiring does put the job back.
      const own = await store.append(streamId, [expiry('w2')], 2, { actor: 'test' });
      await project(own.events[0]!.checkpoint);
      expect(await job(`train-${runId}`)).toEqual({ status: 'queued', claimed_by: null });
    });
  });
}
