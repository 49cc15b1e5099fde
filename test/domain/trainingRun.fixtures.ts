import type { RequestTrainingRun, TrainingRunEvent, TrainingRunFacts } from '../../src/domain/index.js';
import { at, hash } from './support.js';

export const facts: TrainingRunFacts = {
  dataset: {
    archived: false,
    format: 'alpaca',
    revisions: new Map([[1, { contentHash: hash('rev1'), trainRecordCount: 90 }]]),
  },
  baseModelFound: true,
  unavailableModels: [],
};

export const requestCommand: RequestTrainingRun = {
  type: 'RequestTrainingRun',
  runId: 'r1',
  baseModel: { name: 'tiny-llama', source: { kind: 'path', path: '/models/tiny' } },
  dataset: { id: 'med', revision: 1 },
  method: { kind: 'lora', r: 8, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
  stages: [
    { name: 'general', learningRate: 2e-4, batchSize: 8, epochs: 1 },
    { name: 'domain', learningRate: 1e-4, batchSize: 8, epochs: 2 },
  ],
  loss: { kind: 'cross-entropy' },
  seed: 42,
  facts,
  at: at(0),
};

export const requested: TrainingRunEvent = {
  type: 'TrainingRunRequested',
  data: {
    runId: 'r1',
    baseModel: requestCommand.baseModel,
    dataset: { id: 'med', revision: 1, contentHash: hash('rev1') },
    method: requestCommand.method,
    stages: requestCommand.stages,
    loss: { kind: 'cross-entropy' },
    seed: 42,
    requestedAt: at(0),
  },
};

export const claimed = (
  workerId: string,
  attempt: number,
  claimedMinute: number,
  resumeFrom?: { step: number; artifactHash: string },
): TrainingRunEvent => ({
  type: 'TrainingRunClaimed',
  data: {
    runId: 'r1',
    workerId,
    backend: { name: 'wasm', device: 'cpu' },
    leaseUntil: at(claimedMinute + 5),
    attempt,
    ...(resumeFrom ? { resumeFrom } : {}),
    claimedAt: at(claimedMinute),
  },
});

export const stageStarted = (stageIndex: number, attempt = 1, minute = 1): TrainingRunEvent => ({
  type: 'TrainingStageStarted',
  data: {
    runId: 'r1',
    stageIndex,
    name: stageIndex === 0 ? 'general' : 'domain',
    learningRate: stageIndex === 0 ? 2e-4 : 1e-4,
    batchSize: 8,
    steps: 100,
    attempt,
    startedAt: at(minute),
  },
});

export const progressFields = (step: number, stageIndex = 0) => ({
  runId: 'r1',
  step,
  totalSteps: 200,
  stageIndex,
  epoch: step / 100,
  loss: 2 - step / 200,
  learningRate: 2e-4,
  gradNorm: 1.1,
  tokensPerSecond: 900,
  elapsedMs: step * 100,
  etaMs: (200 - step) * 100,
});

export const progress = (step: number, stageIndex = 0, attempt = 1, minute = 2): TrainingRunEvent => ({
  type: 'TrainingProgressReported',
  data: { ...progressFields(step, stageIndex), attempt, reportedAt: at(minute) },
});

export const checkpoint = (step: number, stageIndex = 0, attempt = 1, minute = 2): TrainingRunEvent => ({
  type: 'CheckpointSaved',
  data: {
    runId: 'r1',
    step,
    stageIndex,
    artifactHash: hash(`ck${step}`),
    byteSize: 1000,
    attempt,
    savedAt: at(minute),
  },
});
