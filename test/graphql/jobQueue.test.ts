/**
 * The job queue mutations of workers with no database: a worker token claims a job for its own actor,
 * renews and finishes only what it holds, and bad lease lengths are refused before anything changes.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { requestRun } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

const ana = { actor: 'ana', roles: ['admin'] };

describe('claimJob, renewJobLease, releaseJob, finishJob', () => {
  let database: TestDatabase;
  let api: Harness;
  let runner: ProjectionRunner;
  let services: Services;
  let boxA: string;
  let boxB: string;

  beforeAll(async () => {
    database = await pgliteTarget.open();
    const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    services = createServices({ store, clock: systemClock, ids: uuidIds, baseModelCheck: async () => true });
    runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
    runner.start();
    api = await startHarness(database, { services, projections: runner });
    boxA = (await api.server.tokens.create({ actor: 'box-a', roles: ['worker'], createdBy: 'test' })).token;
    boxB = (await api.server.tokens.create({ actor: 'box-b', roles: ['worker'], createdBy: 'test' })).token;
    await services.datasets.registerDataset({ datasetId: 'qa', name: 'QA', format: 'alpaca' }, ana);
    const split = { hash: 'a'.repeat(64), recordCount: 20, byteSize: 700 };
    await services.datasets.addRevision(
      {
        datasetId: 'qa',
        contentHash: split.hash,
        recordCount: 20,
        byteSize: 700,
        splits: { train: split, eval: split },
        transform: { kind: 'ingest', params: {} },
        piiReport: { counts: {} },
        qualityReport: { rejected: [] },
      },
      ana,
    );
    await requestRun(services, 'run-q', 'qa', ana);
  });
  afterAll(async () => {
    await api?.close();
    await runner?.stop();
    await database?.close();
  });

  const claim = `mutation($leaseMs: Int!) { claimJob(kinds: [TRAIN], leaseMs: $leaseMs) { job { jobId kind failures } userErrors { code } } }`;
  type UserErrors = {
    code: string;
    kind: string;
    field: string[] | null;
    details: Record<string, unknown>;
  }[];

  it('claims for the caller; only the holder renews, releases and finishes', async () => {
    const refused = await api.request(claim, { leaseMs: 10 }, boxA);
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

    await expect
      .poll(async () => {
        const answer = await api.request<{ claimJob: { job: { jobId: string } | null } }>(
          claim,
          { leaseMs: 60_000 },
          boxA,
        );
        return answer.data?.claimJob.job?.jobId;
      })
      .toBe('train-run-q');
    const none = await api.request<{ claimJob: unknown }>(claim, { leaseMs: 60_000 }, boxB);
    expect(none.data?.claimJob).toEqual({ job: null, userErrors: [] });

    const renew = (jobId: string) =>
      `mutation { renewJobLease(jobId: "${jobId}", leaseMs: 60000) { renewed userErrors { code kind field } } }`;
    type Renewed = { renewJobLease: { renewed: boolean; userErrors: UserErrors } };
    expect((await api.request<Renewed>(renew('train-run-q'), {}, boxA)).data?.renewJobLease).toEqual({
      renewed: true,
      userErrors: [],
    });
    expect((await api.request<Renewed>(renew('train-run-q'), {}, boxB)).data?.renewJobLease).toEqual({
      renewed: false,
      userErrors: [],
    });
    expect((await api.request<Renewed>(renew('no-such-job'), {}, boxB)).data?.renewJobLease).toEqual({
      renewed: false,
      userErrors: [{ code: 'JOB_NOT_FOUND', kind: 'NOT_FOUND', field: ['jobId'] }],
    });

    // A worker's error may quote the row it failed on: the jobs table keeps it redacted.
    const planted = 'li.na.planted@example.com, 13812345678';
    const release = `mutation { releaseJob(jobId: "train-run-q", error: "oom on ${planted}", retryInMs: 0) { failures userErrors { code kind field details } } }`;
    type Released = { releaseJob: { failures: number | null; userErrors: UserErrors } };
    const notHeld = await api.request<Released>(release, {}, boxB);
    expect(notHeld.errors).toBeUndefined();
    expect(notHeld.data?.releaseJob).toEqual({
      failures: null,
      userErrors: [
        {
          code: 'JOB_NOT_HELD',
          kind: 'CONFLICT',
          field: ['jobId'],
          details: expect.objectContaining({ status: 'running' }),
        },
      ],
    });
    const unknown = await api.request<Released>(release.replace('train-run-q', 'no-such-job'), {}, boxA);
    expect(unknown.data?.releaseJob.userErrors.map((error) => error.code)).toEqual(['JOB_NOT_FOUND']);
    expect((await api.request<Released>(release, {}, boxA)).data?.releaseJob).toEqual({
      failures: 1,
      userErrors: [],
    });

    const again = await api.request<{ claimJob: { job: { failures: number } } }>(
      claim,
      { leaseMs: 60_000 },
      boxB,
    );
    expect(again.data?.claimJob.job.failures).toBe(1);
    const finish = `mutation { finishJob(jobId: "train-run-q", status: CANCELLED, error: "gave up on ${planted}") { finished userErrors { code kind } } }`;
    type Finished = { finishJob: { finished: boolean; userErrors: UserErrors } };
    expect((await api.request<Finished>(finish, {}, boxA)).data?.finishJob).toEqual({
      finished: false,
      userErrors: [{ code: 'JOB_NOT_HELD', kind: 'CONFLICT' }],
    });
    expect((await api.request<Finished>(finish, {}, boxB)).data?.finishJob).toEqual({
      finished: true,
      userErrors: [],
    });
    const queued = `mutation { finishJob(jobId: "train-run-q", status: QUEUED) { finished } }`;
    expect((await api.request(queued, {}, boxB)).errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const kept = await sql<{ errors: string }>`
      SELECT (SELECT last_error FROM jobs WHERE job_id = 'train-run-q') || ' | ' ||
        (SELECT last_error FROM job_retries WHERE job_id = 'train-run-q') AS errors`.execute(database.db);
    expect(kept.rows[0]!.errors).toBe('gave up on [EMAIL], [PHONE] | oom on [EMAIL], [PHONE]');
  });
});
