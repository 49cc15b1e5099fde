import { describe, expect, it } from 'vitest';
import { fold, trainingRunDecider, type TrainingRunEvent } from '../../src/domain/index.js';
import { at, hash, specFor } from './support.js';
import {
  checkpoint,
  claimed,
  facts,
  progress,
  progressFields,
  requestCommand,
  requested,
  stageStarted,
} from './trainingRun.fixtures.js';

const spec = specFor(trainingRunDecider);
const running: TrainingRunEvent[] = [requested, claimed('w1', 1, 0), stageStarted(0), progress(10)];

describe('training run decider: request', () => {
  it('is accepted and records the revision content hash', () => {
    spec.given([]).when(requestCommand).then([requested]);
  });

  it('refuses a run id used twice', () => {
    spec.given([requested]).when(requestCommand).thenThrows('RUN_ALREADY_REQUESTED');
  });

  it('refuses a dataset or revision that does not exist', () => {
    spec
      .given([])
      .when({ ...requestCommand, facts: { ...facts, dataset: undefined } })
      .thenThrows('DATASET_NOT_FOUND');
    spec
      .given([])
      .when({ ...requestCommand, dataset: { id: 'med', revision: 2 } })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
    spec
      .given([])
      .when({
        ...requestCommand,
        stages: [{ name: 's', datasetRevision: 5, learningRate: 1e-4, batchSize: 1, epochs: 1 }],
      })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
    spec
      .given([])
      .when({ ...requestCommand, facts: { ...facts, dataset: { ...facts.dataset!, archived: true } } })
      .thenThrows('DATASET_ARCHIVED');
  });

  it('refuses a base model that was not found', () => {
    spec
      .given([])
      .when({ ...requestCommand, facts: { ...facts, baseModelFound: false } })
      .thenThrows('BASE_MODEL_NOT_FOUND');
  });

  it('accepts a dpo run on a preference dataset and refuses one on an instruction dataset', () => {
    const dpo = {
      ...requestCommand,
      method: { kind: 'dpo' as const, beta: 0.1, parameters: { kind: 'full' as const } },
    };
    const preferenceFacts = { ...facts, dataset: { ...facts.dataset!, format: 'preference' } };
    spec
      .given([])
      .when({ ...dpo, facts: preferenceFacts })
      .then([
        { type: 'TrainingRunRequested', data: { ...requested.data, method: dpo.method } } as TrainingRunEvent,
      ]);
    spec.given([]).when(dpo).thenThrows('METHOD_NEEDS_PREFERENCE_DATASET');
  });

  it('refuses a ppo run whose reward model is not a retained version', () => {
    const ppo = {
      ...requestCommand,
      method: {
        kind: 'ppo' as const,
        parameters: { kind: 'full' as const },
        rewardModel: { name: 'rm', version: 1 },
        klCoefficient: 0.05,
        clipRange: 0.2,
        rolloutsPerStep: 4,
      },
      facts: { ...facts, unavailableModels: [{ name: 'rm', version: 1 }] },
    };
    spec.given([]).when(ppo).thenThrows('MODEL_VERSION_NOT_FOUND');
  });
});

describe('training run decider: claim and lease', () => {
  const claim = {
    type: 'ClaimTrainingRun' as const,
    runId: 'r1',
    workerId: 'w1',
    backend: { name: 'wasm', device: 'cpu' },
    leaseUntil: at(5),
    at: at(0),
  };

  it('claims a requested run', () => {
    spec
      .given([requested])
      .when(claim)
      .then([claimed('w1', 1, 0)]);
  });

  it('refuses to claim a run held under a live lease, or an unknown run', () => {
    spec
      .given([requested, claimed('w1', 1, 0)])
      .when({ ...claim, workerId: 'w2', at: at(4) })
      .thenThrows('RUN_ALREADY_CLAIMED');
    spec.given([]).when(claim).thenThrows('RUN_NOT_FOUND');
    spec
      .given([requested])
      .when({ ...claim, leaseUntil: at(0) })
      .thenThrows('LEASE_IN_THE_PAST');
  });

  it('re-claims a run whose lease expired and resumes from its last checkpoint', () => {
    spec
      .given([...running, checkpoint(10), progress(12)])
      .when({ ...claim, workerId: 'w2', at: at(6), leaseUntil: at(11) })
      .then([
        {
          type: 'TrainingRunLeaseExpired',
          data: {
            runId: 'r1',
            workerId: 'w1',
            attempt: 1,
            leaseUntil: at(5),
            lastStep: 12,
            resumeFrom: { step: 10, artifactHash: hash('ck10') },
            detectedAt: at(6),
          },
        },
        claimed('w2', 2, 6, { step: 10, artifactHash: hash('ck10') }),
      ]);
  });

  it('lets the resumed attempt report steps after the checkpoint, not before it', () => {
    const resumed = [
      ...running,
      checkpoint(10),
      progress(12),
      claimed('w2', 2, 6, { step: 10, artifactHash: hash('ck10') }),
    ];
    const report = {
      type: 'ReportTrainingProgress' as const,
      workerId: 'w2',
      ...progressFields(11),
      at: at(7),
    };
    spec
      .given(resumed)
      .when(report)
      .then([progress(11, 0, 2, 7)]);
    spec
      .given(resumed)
      .when({ ...report, step: 10 })
      .thenThrows('STEP_WENT_BACKWARDS');
    spec
      .given(resumed)
      .when({ ...report, workerId: 'w1' })
      .thenThrows('RUN_NOT_LEASE_HOLDER');
  });

  it('renews a live lease for its holder only', () => {
    const renew = {
      type: 'RenewTrainingRunLease' as const,
      runId: 'r1',
      workerId: 'w1',
      leaseUntil: at(9),
      at: at(3),
    };
    spec
      .given(running)
      .when(renew)
      .then([
        {
          type: 'TrainingRunLeaseRenewed',
          data: { runId: 'r1', workerId: 'w1', attempt: 1, leaseUntil: at(9) },
        },
      ]);
    spec
      .given(running)
      .when({ ...renew, workerId: 'w2' })
      .thenThrows('RUN_NOT_LEASE_HOLDER');
    spec
      .given(running)
      .when({ ...renew, at: at(5) })
      .thenThrows('RUN_LEASE_EXPIRED');
    spec.given([requested]).when(renew).thenThrows('RUN_NOT_CLAIMED');
  });

  it('expires a lapsed lease, not a live one', () => {
    const expire = { type: 'ExpireTrainingRunLease' as const, runId: 'r1', at: at(5) };
    spec
      .given(running)
      .when(expire)
      .then([
        {
          type: 'TrainingRunLeaseExpired',
          data: {
            runId: 'r1',
            workerId: 'w1',
            attempt: 1,
            leaseUntil: at(5),
            lastStep: 10,
            detectedAt: at(5),
          },
        },
      ]);
    spec
      .given(running)
      .when({ ...expire, at: at(4) })
      .thenThrows('LEASE_STILL_VALID');
  });
});

describe('training run decider: stages, progress, checkpoints', () => {
  const start = {
    type: 'StartTrainingStage' as const,
    runId: 'r1',
    workerId: 'w1',
    stageIndex: 0,
    steps: 100,
    at: at(1),
  };

  it('starts stages in order', () => {
    spec
      .given([requested, claimed('w1', 1, 0)])
      .when(start)
      .then([stageStarted(0)]);
    spec
      .given(running)
      .when({ ...start, stageIndex: 1 })
      .then([stageStarted(1)]);
    spec
      .given([requested, claimed('w1', 1, 0)])
      .when({ ...start, stageIndex: 1 })
      .thenThrows('STAGE_OUT_OF_ORDER');
    spec
      .given(running)
      .when({ ...start, stageIndex: 0 })
      .thenThrows('STAGE_OUT_OF_ORDER');
    spec
      .given(running)
      .when({ ...start, stageIndex: 2 })
      .thenThrows('STAGE_NOT_FOUND');
    spec.given([requested]).when(start).thenThrows('RUN_NOT_CLAIMED');
  });

  it('reports progress forwards only, within the started stage and the total', () => {
    const report = {
      type: 'ReportTrainingProgress' as const,
      workerId: 'w1',
      ...progressFields(11),
      at: at(2),
    };
    spec
      .given(running)
      .when(report)
      .then([progress(11)]);
    spec
      .given(running)
      .when({ ...report, step: 10 })
      .thenThrows('STEP_WENT_BACKWARDS');
    spec
      .given(running)
      .when({ ...report, step: 201 })
      .thenThrows('STEP_BEYOND_TOTAL');
    spec
      .given(running)
      .when({ ...report, stageIndex: 1 })
      .thenThrows('STAGE_NOT_STARTED');
    spec
      .given(running)
      .when({ ...report, at: at(5) })
      .thenThrows('RUN_LEASE_EXPIRED');
  });

  it('saves checkpoints at reported steps, each after the last', () => {
    const save = {
      type: 'SaveCheckpoint' as const,
      runId: 'r1',
      workerId: 'w1',
      step: 10,
      artifactHash: hash('ck10'),
      byteSize: 1000,
      at: at(2),
    };
    spec
      .given(running)
      .when(save)
      .then([checkpoint(10)]);
    spec
      .given(running)
      .when({ ...save, step: 11 })
      .thenThrows('CHECKPOINT_AHEAD_OF_PROGRESS');
    spec
      .given([...running, checkpoint(10)])
      .when(save)
      .thenThrows('CHECKPOINT_WENT_BACKWARDS');
    spec
      .given([requested, claimed('w1', 1, 0)])
      .when({ ...save, step: 0 })
      .thenThrows('STAGE_NOT_STARTED');
  });
});

describe('training run decider: the end', () => {
  const complete = {
    type: 'CompleteTrainingRun' as const,
    runId: 'r1',
    workerId: 'w1',
    artifact: { kind: 'adapter' as const, hash: hash('adapter'), byteSize: 2048 },
    finalLoss: 0.9,
    steps: 10,
    durationMs: 1000,
    tokensSeen: 5000,
    at: at(3),
  };
  const completed: TrainingRunEvent = {
    type: 'TrainingRunCompleted',
    data: {
      runId: 'r1',
      artifact: complete.artifact,
      finalLoss: 0.9,
      steps: 10,
      durationMs: 1000,
      tokensSeen: 5000,
      metrics: {},
      completedAt: at(3),
    },
  };

  it('completes once, after which nothing is reported', () => {
    spec.given(running).when(complete).then([completed]);
    spec
      .given([...running, completed])
      .when(complete)
      .thenThrows('RUN_ALREADY_FINISHED');
    spec
      .given([...running, completed])
      .when({ type: 'ReportTrainingProgress', workerId: 'w1', ...progressFields(11), at: at(3) })
      .thenThrows('RUN_ALREADY_FINISHED');
    spec
      .given([...running, completed])
      .when({ type: 'CancelTrainingRun', runId: 'r1', reason: 'x', cancelledBy: 'ana', at: at(4) })
      .thenThrows('RUN_ALREADY_FINISHED');
    spec
      .given(running)
      .when({ ...complete, steps: 9 })
      .thenThrows('STEP_WENT_BACKWARDS');
  });

  it('fails with the step and the last checkpoint', () => {
    spec
      .given([...running, checkpoint(10)])
      .when({
        type: 'FailTrainingRun',
        runId: 'r1',
        workerId: 'w1',
        reason: 'NaN loss',
        retryable: true,
        at: at(3),
      })
      .then([
        {
          type: 'TrainingRunFailed',
          data: {
            runId: 'r1',
            reason: 'NaN loss',
            step: 10,
            retryable: true,
            lastCheckpoint: { step: 10, artifactHash: hash('ck10') },
            failedAt: at(3),
          },
        },
      ]);
    spec
      .given(running)
      .when({
        type: 'FailTrainingRun',
        runId: 'r1',
        workerId: 'w2',
        reason: 'x',
        retryable: false,
        at: at(3),
      })
      .thenThrows('RUN_NOT_LEASE_HOLDER');
  });

  it('cancels a run that has not ended', () => {
    spec
      .given([requested])
      .when({ type: 'CancelTrainingRun', runId: 'r1', reason: 'wrong data', cancelledBy: 'ana', at: at(1) })
      .then([
        {
          type: 'TrainingRunCancelled',
          data: { runId: 'r1', reason: 'wrong data', cancelledBy: 'ana', cancelledAt: at(1) },
        },
      ]);
    spec
      .given([])
      .when({ type: 'CancelTrainingRun', runId: 'r1', reason: 'x', cancelledBy: 'ana', at: at(1) })
      .thenThrows('RUN_NOT_FOUND');
  });
});

describe('training run state: the status implies the lease', () => {
  const expired: TrainingRunEvent = {
    type: 'TrainingRunLeaseExpired',
    data: { runId: 'r1', workerId: 'w1', attempt: 1, leaseUntil: at(5), lastStep: 10, detectedAt: at(6) },
  };
  const completed: TrainingRunEvent = {
    type: 'TrainingRunCompleted',
    data: {
      runId: 'r1',
      artifact: { kind: 'adapter', hash: hash('a'), byteSize: 1 },
      finalLoss: 1,
      steps: 10,
      durationMs: 1,
      tokensSeen: 1,
      metrics: {},
      completedAt: at(4),
    },
  };
  const histories: [string, TrainingRunEvent[], string][] = [
    ['nothing', [], 'none'],
    ['a request', [requested], 'requested'],
    ['a claim', running, 'claimed'],
    ['an expired lease', [...running, expired], 'lease-expired'],
    ['a re-claim', [...running, expired, claimed('w2', 2, 6)], 'claimed'],
    ['a completion', [...running, completed], 'completed'],
  ];

  it.each(histories)('after %s, only a claimed run carries a lease', (_name, events, status) => {
    const state = fold(trainingRunDecider, events);
    expect(state.status).toBe(status);
    expect('lease' in state).toBe(status === 'claimed');
  });

  it('gives the lease of the latest claim and its attempt', () => {
    const state = fold(trainingRunDecider, [...running, expired, claimed('w2', 2, 6)]);
    expect(state).toMatchObject({ lease: { workerId: 'w2', leaseUntil: at(11) }, attempt: 2 });
  });
});
