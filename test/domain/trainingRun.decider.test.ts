import { describe, expect, it } from 'vitest';
import {
  fold,
  trainingRunDecider,
  type TrainingRunCommand,
  type TrainingRunEvent,
} from '../../src/domain/index.js';
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

describe('training run decider: refusal details and boundaries', () => {
  const claim = {
    type: 'ClaimTrainingRun' as const,
    runId: 'r1',
    workerId: 'w2',
    backend: { name: 'wasm', device: 'cpu' },
    leaseUntil: at(11),
    at: at(6),
  };
  const report = (step: number, extra: object = {}) => ({
    type: 'ReportTrainingProgress' as const,
    workerId: 'w1',
    ...progressFields(step),
    at: at(2),
    ...extra,
  });
  const save = (step: number, extra: object = {}) => ({
    type: 'SaveCheckpoint' as const,
    runId: 'r1',
    workerId: 'w1',
    step,
    artifactHash: hash(`ck${step}`),
    byteSize: 1000,
    at: at(2),
    ...extra,
  });
  const start = (stageIndex: number, extra: object = {}) => ({
    type: 'StartTrainingStage' as const,
    runId: 'r1',
    workerId: 'w1',
    stageIndex,
    steps: 100,
    at: at(1),
    ...extra,
  });
  const expired: TrainingRunEvent = {
    type: 'TrainingRunLeaseExpired',
    data: { runId: 'r1', workerId: 'w1', attempt: 1, leaseUntil: at(5), lastStep: 12, detectedAt: at(6) },
  };
  const emptyRevision = (revision: number) => ({
    ...facts,
    dataset: {
      ...facts.dataset!,
      revisions: new Map([
        [1, { contentHash: hash('rev1'), trainRecordCount: 90 }],
        [revision, { contentHash: hash('rev2'), trainRecordCount: 0 }],
      ]),
    },
  });

  // A refusal's details become the GraphQL error's extensions: a client reads the ids and bounds from them.
  it('names the run, dataset and model in its request refusals', () => {
    const details = (command: object, code: string, events: TrainingRunEvent[] = []) =>
      spec
        .given(events)
        .when({ ...requestCommand, ...command })
        .thenThrows(code).details;
    expect(details({}, 'RUN_ALREADY_REQUESTED', [requested])).toEqual({ runId: 'r1' });
    expect(details({ facts: { ...facts, dataset: undefined } }, 'DATASET_NOT_FOUND')).toEqual({
      datasetId: 'med',
    });
    expect(
      details({ facts: { ...facts, dataset: { ...facts.dataset!, archived: true } } }, 'DATASET_ARCHIVED'),
    ).toEqual({ datasetId: 'med' });
    expect(details({ dataset: { id: 'med', revision: 2 } }, 'DATASET_REVISION_NOT_FOUND')).toEqual({
      datasetId: 'med',
      revision: 2,
    });
    expect(
      details(
        { stages: [{ name: 's', datasetRevision: 5, learningRate: 1e-4, batchSize: 1, epochs: 1 }] },
        'DATASET_REVISION_NOT_FOUND',
      ),
    ).toEqual({ datasetId: 'med', revision: 5, stageIndex: 0 });
    expect(details({ facts: { ...facts, baseModelFound: false } }, 'BASE_MODEL_NOT_FOUND')).toEqual({
      baseModel: requestCommand.baseModel,
    });
    expect(
      details(
        { facts: { ...facts, unavailableModels: [{ name: 'rm', version: 1 }] } },
        'MODEL_VERSION_NOT_FOUND',
      ),
    ).toEqual({ model: { name: 'rm', version: 1 } });
  });

  it('refuses a revision, or a stage’s revision, with no training records', () => {
    const run = spec
      .given([])
      .when({ ...requestCommand, dataset: { id: 'med', revision: 2 }, facts: emptyRevision(2) })
      .thenThrows('DATASET_REVISION_EMPTY');
    expect(run.details).toEqual({ field: 'dataset.revision', datasetId: 'med', revision: 2, bound: 1 });
    expect(run.message).toBe(
      'dataset.revision 2 of dataset "med" has no records in its train split; it must have at least 1.',
    );
    const stage = spec
      .given([])
      .when({
        ...requestCommand,
        stages: [
          requestCommand.stages[0]!,
          { name: 'late', datasetRevision: 2, learningRate: 1e-4, batchSize: 1, epochs: 1 },
        ],
        facts: emptyRevision(2),
      })
      .thenThrows('DATASET_REVISION_EMPTY');
    expect(stage.details).toEqual({
      field: 'stages[1].datasetRevision',
      datasetId: 'med',
      revision: 2,
      bound: 1,
    });
    expect(stage.message).toBe(
      'stages[1].datasetRevision 2 of dataset "med" has no records in its train split; it must have at least 1.',
    );
  });

  it('refuses a reward model on an instruction dataset, and a base model it cannot train', () => {
    const refused = spec
      .given([])
      .when({ ...requestCommand, method: { kind: 'reward-model', parameters: { kind: 'full' } } })
      .thenThrows('METHOD_NEEDS_PREFERENCE_DATASET');
    expect(refused.details).toEqual({ datasetId: 'med', method: 'reward-model' });
    const unusable = spec
      .given([])
      .when({ ...requestCommand, facts: { ...facts, baseModelUnusable: 'config.json is missing' } })
      .thenThrows('BASE_MODEL_UNUSABLE');
    expect(unusable.details).toEqual({
      field: 'baseModel.source',
      baseModel: requestCommand.baseModel,
      reason: 'config.json is missing',
    });
    expect(unusable.message).toContain('this platform can train: config.json is missing.');
  });

  it('names the run, worker and lease in its work refusals', () => {
    const details = (events: TrainingRunEvent[], command: TrainingRunCommand, code: string) =>
      spec.given(events).when(command).thenThrows(code).details;
    expect(details([], { ...claim }, 'RUN_NOT_FOUND')).toEqual({ runId: 'r1' });
    expect(details([requested], start(0), 'RUN_NOT_CLAIMED')).toEqual({ runId: 'r1', status: 'requested' });
    expect(details(running, start(0, { workerId: 'w2' }), 'RUN_NOT_LEASE_HOLDER')).toEqual({
      runId: 'r1',
      workerId: 'w2',
      holder: 'w1',
    });
    expect(details(running, start(1, { at: at(5) }), 'RUN_LEASE_EXPIRED')).toEqual({
      runId: 'r1',
      workerId: 'w1',
      leaseUntil: at(5),
    });
    expect(details(running, { ...claim, at: at(4) }, 'RUN_ALREADY_CLAIMED')).toEqual({
      runId: 'r1',
      holder: 'w1',
      leaseUntil: at(5),
    });
    expect(
      details(running, { type: 'ExpireTrainingRunLease', runId: 'r1', at: at(4) }, 'LEASE_STILL_VALID'),
    ).toEqual({ runId: 'r1', leaseUntil: at(5) });
    expect(details(running, start(2), 'STAGE_NOT_FOUND')).toEqual({ runId: 'r1', stageIndex: 2 });
    expect(details(running, start(0), 'STAGE_OUT_OF_ORDER')).toEqual({
      runId: 'r1',
      current: 0,
      requested: 0,
    });
    expect(details(running, report(11, { stageIndex: 1 }), 'STAGE_NOT_STARTED')).toEqual({
      runId: 'r1',
      stageIndex: 1,
      current: 0,
    });
    expect(details(running, report(10), 'STEP_WENT_BACKWARDS')).toEqual({
      runId: 'r1',
      step: 10,
      lastStep: 10,
    });
    expect(details(running, report(201), 'STEP_BEYOND_TOTAL')).toEqual({
      runId: 'r1',
      step: 201,
      totalSteps: 200,
      maxSteps: undefined,
    });
    expect(details([requested, claimed('w1', 1, 0)], save(0), 'STAGE_NOT_STARTED')).toEqual({ runId: 'r1' });
    expect(details(running, save(11), 'CHECKPOINT_AHEAD_OF_PROGRESS')).toEqual({
      runId: 'r1',
      step: 11,
      lastStep: 10,
    });
    expect(details([...running, checkpoint(10)], save(10), 'CHECKPOINT_WENT_BACKWARDS')).toEqual({
      runId: 'r1',
      step: 10,
      lastCheckpointStep: 10,
    });
    expect(
      details(
        running,
        {
          type: 'CompleteTrainingRun',
          runId: 'r1',
          workerId: 'w1',
          artifact: { kind: 'adapter', hash: hash('a'), byteSize: 1 },
          finalLoss: 1,
          steps: 9,
          durationMs: 1,
          tokensSeen: 1,
          at: at(3),
        },
        'STEP_WENT_BACKWARDS',
      ),
    ).toEqual({ runId: 'r1', steps: 9, lastStep: 10 });
  });

  it('words the stage refusals with the stages there are and the one that comes next', () => {
    expect(spec.given(running).when(start(2)).thenThrows('STAGE_NOT_FOUND').message).toContain(
      'has 2 stage(s) (0..1); there is no stage 2',
    );
    expect(spec.given(running).when(start(0)).thenThrows('STAGE_OUT_OF_ORDER').message).toContain(
      'the next one is 1, not 0',
    );
    expect(
      spec
        .given([requested])
        .when({ type: 'ExpireTrainingRunLease', runId: 'r1', at: at(5) })
        .thenThrows('RUN_NOT_CLAIMED').message,
    ).toBe('Training run "r1" holds no lease (status requested).');
  });

  it('takes over a lease from the moment it ends', () => {
    spec
      .given(running)
      .when({ ...claim, at: at(5) })
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
        {
          ...claimed('w2', 2, 6),
          data: { ...claimed('w2', 2, 6).data, claimedAt: at(5) },
        } as TrainingRunEvent,
      ]);
  });

  it('starts a re-claimed attempt without a checkpoint from the first stage, with no step', () => {
    const reclaimed = [...running, progress(12), expired, claimed('w2', 2, 6)];
    spec
      .given(reclaimed)
      .when({ ...report(1), workerId: 'w2', at: at(7) })
      .thenThrows('STAGE_NOT_STARTED');
    spec
      .given(reclaimed)
      .when(start(0, { workerId: 'w2', at: at(7) }))
      .then([stageStarted(0, 2, 7)]);
    spec
      .given([...reclaimed, stageStarted(0, 2, 7)])
      .when({ ...report(1), workerId: 'w2', at: at(7) })
      .then([progress(1, 0, 2, 7)]);
  });

  it('resumes a re-claimed attempt in the stage of its checkpoint, which may start again', () => {
    const inStageOne = [...running, stageStarted(1, 1, 2), progress(20, 1), checkpoint(20, 1), expired];
    const resumed = [...inStageOne, claimed('w2', 2, 6, { step: 20, artifactHash: hash('ck20') })];
    spec
      .given(resumed)
      .when({ ...report(21, { stageIndex: 1 }), workerId: 'w2', at: at(7) })
      .then([progress(21, 1, 2, 7)]);
    spec
      .given(resumed)
      .when(start(1, { workerId: 'w2', at: at(7) }))
      .then([stageStarted(1, 2, 7)]);
    // Started once in this attempt: not again.
    spec
      .given([...resumed, stageStarted(1, 2, 7)])
      .when(start(1, { workerId: 'w2', at: at(7) }))
      .thenThrows('STAGE_OUT_OF_ORDER');
  });

  it('refuses progress before any stage started', () => {
    spec
      .given([requested, claimed('w1', 1, 0)])
      .when(report(1, { stageIndex: -1 }))
      .thenThrows('STAGE_NOT_STARTED');
  });

  it('accepts the last step of the total and of maxSteps, nothing beyond', () => {
    spec
      .given(running)
      .when(report(200))
      .then([progress(200)]);
    const capped = [
      { ...requested, data: { ...requested.data, maxSteps: 50 } } as TrainingRunEvent,
      ...running.slice(1),
    ];
    spec
      .given(capped)
      .when(report(50))
      .then([progress(50)]);
    const beyond = spec.given(capped).when(report(51)).thenThrows('STEP_BEYOND_TOTAL');
    expect(beyond.message).toBe("Step 51 is beyond the run's total of 50 steps.");
    expect(beyond.details).toMatchObject({ maxSteps: 50 });
    expect(spec.given(running).when(report(201)).thenThrows('STEP_BEYOND_TOTAL').message).toBe(
      "Step 201 is beyond the run's total of 200 steps.",
    );
  });

  it('saves a later checkpoint after an earlier one', () => {
    spec
      .given([...running, checkpoint(10), progress(12)])
      .when(save(12))
      .then([checkpoint(12)]);
  });

  it('keeps the metrics of a completed run', () => {
    spec
      .given(running)
      .when({
        type: 'CompleteTrainingRun',
        runId: 'r1',
        workerId: 'w1',
        artifact: { kind: 'adapter', hash: hash('a'), byteSize: 1 },
        finalLoss: 1,
        steps: 10,
        durationMs: 1,
        tokensSeen: 1,
        metrics: { perplexity: 2.5 },
        at: at(3),
      })
      .then([
        {
          type: 'TrainingRunCompleted',
          data: {
            runId: 'r1',
            artifact: { kind: 'adapter', hash: hash('a'), byteSize: 1 },
            finalLoss: 1,
            steps: 10,
            durationMs: 1,
            tokensSeen: 1,
            metrics: { perplexity: 2.5 },
            completedAt: at(3),
          },
        },
      ]);
  });

  it('lets the system fail a run nobody holds', () => {
    spec
      .given([requested])
      .when({ type: 'FailTrainingRun', runId: 'r1', reason: 'dataset erased', retryable: false, at: at(1) })
      .then([
        {
          type: 'TrainingRunFailed',
          data: { runId: 'r1', reason: 'dataset erased', step: 0, retryable: false, failedAt: at(1) },
        },
      ]);
  });
});

describe('training run state: the fold', () => {
  const failed: TrainingRunEvent = {
    type: 'TrainingRunFailed',
    data: { runId: 'r1', reason: 'x', step: 10, retryable: true, failedAt: at(3) },
  };
  const cancelled: TrainingRunEvent = {
    type: 'TrainingRunCancelled',
    data: { runId: 'r1', reason: 'x', cancelledBy: 'ana', cancelledAt: at(3) },
  };
  const renewed = (until: number): TrainingRunEvent => ({
    type: 'TrainingRunLeaseRenewed',
    data: { runId: 'r1', workerId: 'w1', attempt: 1, leaseUntil: at(until) },
  });

  it('ends a failed or cancelled run for good', () => {
    for (const [end, status] of [
      [failed, 'failed'],
      [cancelled, 'cancelled'],
    ] as const) {
      const refused = spec
        .given([...running, end])
        .when({ type: 'CancelTrainingRun', runId: 'r1', reason: 'x', cancelledBy: 'ana', at: at(4) })
        .thenThrows('RUN_ALREADY_FINISHED');
      expect(refused.details).toEqual({ runId: 'r1', status });
      expect(fold(trainingRunDecider, [...running, end])).not.toHaveProperty('lease');
    }
  });

  it('extends the lease on a renewal, and ignores one that comes after the lease expired', () => {
    spec
      .given([...running, renewed(9)])
      .when({
        type: 'ReportTrainingProgress',
        workerId: 'w1',
        ...progressFields(11),
        at: at(8),
      })
      .then([progress(11, 0, 1, 8)]);
    const expired: TrainingRunEvent = {
      type: 'TrainingRunLeaseExpired',
      data: { runId: 'r1', workerId: 'w1', attempt: 1, leaseUntil: at(5), lastStep: 10, detectedAt: at(6) },
    };
    const state = fold(trainingRunDecider, [...running, expired, renewed(9)]);
    expect(state.status).toBe('lease-expired');
    expect(state).not.toHaveProperty('lease');
  });

  it('ignores events before the request and a second request', () => {
    expect(fold(trainingRunDecider, [claimed('w1', 1, 0)])).toEqual({ status: 'none' });
    expect(
      fold(trainingRunDecider, [
        requested,
        { ...requested, data: { ...requested.data, seed: 1 } } as TrainingRunEvent,
      ]),
    ).toEqual(fold(trainingRunDecider, [requested]));
  });
});
