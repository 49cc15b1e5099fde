import { describe, expect, it } from 'vitest';
import {
  defaultTrainingStages,
  resolveTrainingDefaults,
  trainingRunDecider,
  type RequestTrainingRun,
  type TrainingRunFacts,
} from '../../src/domain/index.js';
import { hash, specFor } from './support.js';
import { facts, requestCommand } from './trainingRun.fixtures.js';

const spec = specFor(trainingRunDecider);
const llama = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const known: TrainingRunFacts = { ...facts, architecture: { hiddenSize: 64, linearModules: llama } };
const lora = requestCommand.method as Extract<RequestTrainingRun['method'], { kind: 'lora' }>;
const stage = requestCommand.stages[0]!;

/** The refusal of `command`: TRAINING_PARAMETER_OUT_OF_BOUNDS naming `field` and a bound that mentions `bound`. */
function refuses(command: RequestTrainingRun, field: string, bound: string) {
  const error = spec.given([]).when(command).thenThrows('TRAINING_PARAMETER_OUT_OF_BOUNDS');
  expect(error.details['field']).toBe(field);
  expect(String(error.details['bound'])).toContain(bound);
  expect(error.message).toContain(field);
  expect(error.message).toContain(bound);
}

describe('training run request: bounds', () => {
  it('refuses the numbers of issue 14, naming the field and its bound', () => {
    const withStage = (fields: object) => ({ ...requestCommand, stages: [{ ...stage, ...fields }] });
    refuses(withStage({ learningRate: 1e308 }), 'stages[0].learningRate', 'at most 1');
    refuses(withStage({ learningRate: 0 }), 'stages[0].learningRate', 'above 0');
    refuses(withStage({ batchSize: 1e9 }), 'stages[0].batchSize', 'from 1 to 4096');
    refuses(withStage({ epochs: 1e9 }), 'stages[0].epochs', 'at most 1000');
    refuses(
      { ...requestCommand, stages: Array.from({ length: 10_000 }, () => stage) },
      'stages',
      'from 1 to 16 stages',
    );
    refuses({ ...requestCommand, maxSteps: 1e12 }, 'maxSteps', 'from 1 to 1000000');
  });

  it("refuses LoRA settings outside their bounds and r above the base model's hidden size", () => {
    const withLora = (fields: object, runFacts = known) => ({
      ...requestCommand,
      method: { ...lora, ...fields },
      facts: runFacts,
    });
    refuses(withLora({ r: 1e6 }), 'method.r', 'hidden size is 64');
    refuses(withLora({ r: 65 }), 'method.r', 'from 1 to 64');
    refuses(withLora({ r: 1e6 }, facts), 'method.r', 'from 1 to 8192');
    refuses(withLora({ alpha: 0 }), 'method.alpha', 'above 0');
    refuses(withLora({ dropout: 1 }), 'method.dropout', 'below 1');
    refuses(withLora({ targetModules: ['q_proj', 'evil_proj'] }), 'method.targetModules', 'gate_proj');
    refuses(
      {
        ...requestCommand,
        method: { kind: 'dpo', beta: 0.1, parameters: { ...lora, r: 128 } },
        facts: { ...known, dataset: { ...known.dataset!, format: 'preference' } },
      },
      'method.parameters.r',
      'from 1 to 64',
    );
    // At the bound itself the request is accepted.
    const accepted = spec
      .given([])
      .when(withLora({ r: 64, targetModules: llama }))
      .then([
        {
          type: 'TrainingRunRequested',
          data: {
            runId: 'r1',
            baseModel: requestCommand.baseModel,
            dataset: { id: 'med', revision: 1, contentHash: hash('rev1') },
            method: { ...lora, r: 64, targetModules: llama },
            stages: requestCommand.stages,
            loss: { kind: 'cross-entropy' },
            seed: 42,
            requestedAt: requestCommand.at,
          },
        },
      ]);
    expect(accepted).toHaveLength(1);
  });

  it('refuses a dataset revision whose train split is empty', () => {
    const empty = {
      ...facts,
      dataset: {
        ...facts.dataset!,
        revisions: new Map([
          [1, { contentHash: hash('rev1'), trainRecordCount: 0 }],
          [2, { contentHash: hash('rev2'), trainRecordCount: 5 }],
        ]),
      },
    };
    const error = spec
      .given([])
      .when({ ...requestCommand, facts: empty })
      .thenThrows('DATASET_REVISION_EMPTY');
    expect(error.details['field']).toBe('dataset.revision');
    const stageError = spec
      .given([])
      .when({
        ...requestCommand,
        dataset: { id: 'med', revision: 2 },
        stages: [{ ...stage, datasetRevision: 1 }],
        facts: empty,
      })
      .thenThrows('DATASET_REVISION_EMPTY');
    expect(stageError.details['field']).toBe('stages[0].datasetRevision');
  });

  it('refuses a base model directory that is not a model, and a run above the largest worker device', () => {
    const unusable = spec
      .given([])
      .when({ ...requestCommand, facts: { ...facts, baseModelUnusable: '/etc has no readable config.json' } })
      .thenThrows('BASE_MODEL_UNUSABLE');
    expect(unusable.message).toContain('/etc has no readable config.json');
    const tooBig = spec
      .given([])
      .when({
        ...requestCommand,
        facts: { ...known, memory: { requiredBytes: 4.1 * 1024 ** 3, deviceBytes: 1024 ** 3, advice: 'x' } },
      })
      .thenThrows('TRAINING_MEMORY_EXCEEDS_DEVICE');
    expect(tooBig.message).toContain('4.1 GiB');
    expect(tooBig.message).toContain('1.0 GiB');
  });
});

describe('training run request: the founding guide as the default', () => {
  it('fills in LoRA r=16, alpha=32, dropout 0.05 on q_proj/v_proj and the three stages', () => {
    expect(resolveTrainingDefaults({})).toEqual({
      method: { kind: 'lora', r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
      stages: defaultTrainingStages(),
      loss: { kind: 'cross-entropy' },
      seed: 0,
    });
    expect(defaultTrainingStages().map((s) => [s.name, s.learningRate, s.batchSize])).toEqual([
      ['general', 1e-5, 32],
      ['domain', 5e-6, 16],
      ['robustness', 5e-6, 16],
    ]);
  });

  it('fills in only what a LoRA method leaves out, also inside a DPO method', () => {
    expect(
      resolveTrainingDefaults({ method: { kind: 'lora', r: 4, alpha: 8, targetModules: ['q_proj'] } }).method,
    ).toEqual({ kind: 'lora', r: 4, alpha: 8, dropout: 0.05, targetModules: ['q_proj'] });
    expect(
      resolveTrainingDefaults({ method: { kind: 'dpo', beta: 0.1, parameters: { kind: 'lora', r: 8 } } })
        .method,
    ).toEqual({
      kind: 'dpo',
      beta: 0.1,
      parameters: { kind: 'lora', r: 8, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
    });
  });
});
