import { describe, expect, it } from 'vitest';
import {
  checkTrainingMemory,
  checkTrainingMethodShape,
  checkTrainingRequestBounds,
  DomainError,
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

describe('training run request: every bound on both sides (the checks alone)', () => {
  const base = { method: lora, stages: [stage] };
  /** The check's refusal, or undefined when it accepts. */
  const refusalOf = (check: () => void) => {
    try {
      check();
      return undefined;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return error;
    }
  };
  const bounds = (
    request: Parameters<typeof checkTrainingRequestBounds>[0],
    architecture: Parameters<typeof checkTrainingRequestBounds>[1] | 'unknown' = known.architecture,
  ) =>
    refusalOf(() =>
      checkTrainingRequestBounds(request, architecture === 'unknown' ? undefined : architecture),
    );
  const withStage = (fields: object) => ({ ...base, stages: [{ ...stage, ...fields } as typeof stage] });
  const withLora = (fields: object) => ({ ...base, method: { ...lora, ...fields } as typeof lora });

  it('accepts each bound itself and refuses just past it, whatever type JSON brought', () => {
    const cases: [object, string, unknown[], unknown[]][] = [
      // [request, field, accepted values, refused values]
      [{}, 'stages[0].learningRate', [1, 1e-12], [0, -1e-5, 1.0000001, Number.NaN, Infinity, '0.1', null]],
      [{}, 'stages[0].batchSize', [1, 4096], [0, 4097, 2.5, '8', Infinity, Number.NaN, null]],
      [{}, 'stages[0].epochs', [1000, 0.01], [0, -1, 1000.5, Infinity, '1', null]],
      [{}, 'maxSteps', [1, 1_000_000], [0, 1_000_001, 3.5, '10', Number.NaN]],
      [{}, 'method.alpha', [16384, 0.5], [0, -1, 16384.5, Infinity, '32', null]],
      [{}, 'method.dropout', [0, 0.99], [1, -0.01, Number.NaN, '0.1', null]],
      [{}, 'method.r', [1, 64], [0, 65, 1.5, '8', null]],
    ];
    for (const [, field, accepted, refused] of cases) {
      const request = (value: unknown) =>
        field.startsWith('stages')
          ? withStage({ [field.slice('stages[0].'.length)]: value })
          : field === 'maxSteps'
            ? { ...base, maxSteps: value as number }
            : withLora({ [field.slice('method.'.length)]: value });
      for (const value of accepted) expect(bounds(request(value)), `${field} = ${value}`).toBeUndefined();
      for (const value of refused) {
        const error = bounds(request(value));
        expect(error?.code, `${field} = ${String(value)}`).toBe('TRAINING_PARAMETER_OUT_OF_BOUNDS');
        expect(error?.details).toMatchObject({ field, value });
        expect(error?.message).toBe(
          `${field} is ${JSON.stringify(value)}; it must be ${String(error?.details['bound'])}.`,
        );
      }
    }
  });

  it('names the bounds in words, with the base model hidden size only when it is known', () => {
    expect(bounds(withStage({ batchSize: 0 }))?.details['bound']).toBe('an integer from 1 to 4096');
    expect(bounds(withStage({ learningRate: 2 }))?.details['bound']).toBe('above 0 and at most 1');
    expect(bounds(withStage({ epochs: 0 }))?.details['bound']).toBe('above 0 and at most 1000');
    expect(bounds(withLora({ alpha: 0 }))?.details['bound']).toBe('above 0 and at most 16384');
    expect(bounds(withLora({ dropout: 1 }))?.details['bound']).toBe('at least 0 and below 1');
    expect(bounds(withLora({ r: 65 }))?.details['bound']).toBe(
      "an integer from 1 to 64 (the base model's hidden size is 64)",
    );
    expect(bounds(withLora({ r: 0 }), 'unknown')?.details['bound']).toBe('an integer from 1 to 8192');
    expect(bounds(withLora({ r: 0 }), { linearModules: llama })?.details['bound']).toBe(
      'an integer from 1 to 8192',
    );
  });

  it('counts stages from 1 to 16', () => {
    expect(bounds({ ...base, stages: Array.from({ length: 16 }, () => stage) })).toBeUndefined();
    for (const count of [0, 17]) {
      const error = bounds({ ...base, stages: Array.from({ length: count }, () => stage) });
      expect(error?.details).toEqual({
        field: 'stages',
        value: `${count} stage(s)`,
        bound: 'from 1 to 16 stages',
      });
    }
  });

  it('wants a non-empty list of target modules, all of them the base model’s when its modules are known', () => {
    for (const targetModules of [[], 'q_proj', undefined]) {
      const error = bounds(withLora({ targetModules }));
      expect(error?.details).toEqual({
        field: 'method.targetModules',
        value: targetModules,
        bound: 'a non-empty list of module names',
      });
    }
    expect(bounds(withLora({ targetModules: ['q_proj', 'x_proj', 'y_proj'] }))?.details).toEqual({
      field: 'method.targetModules',
      value: ['x_proj', 'y_proj'],
      bound: `among the base model's modules: ${llama.join(', ')}`,
    });
    // Unknown architecture: any names.
    expect(bounds(withLora({ targetModules: ['x_proj'] }), 'unknown')).toBeUndefined();
  });

  it('checks LoRA inside a DPO or PPO method, and nothing of the kind for full fine-tuning', () => {
    const dpo = { kind: 'dpo' as const, beta: 0.1, parameters: { ...lora, alpha: 0 } };
    expect(bounds({ ...base, method: dpo })?.details['field']).toBe('method.parameters.alpha');
    expect(bounds({ ...base, method: { ...dpo, parameters: { kind: 'full' as const } } })).toBeUndefined();
    expect(bounds({ ...base, method: { kind: 'full' } })).toBeUndefined();
  });

  it('refuses a run that needs more memory than the largest device, and accepts one that needs exactly it', () => {
    expect(refusalOf(() => checkTrainingMemory(undefined))).toBeUndefined();
    const gib = 1024 ** 3;
    expect(
      refusalOf(() => checkTrainingMemory({ requiredBytes: gib, deviceBytes: gib, advice: 'a' })),
    ).toBeUndefined();
    const error = refusalOf(() =>
      checkTrainingMemory({ requiredBytes: gib + 1, deviceBytes: gib, advice: 'lora r=16' }),
    );
    expect(error?.code).toBe('TRAINING_MEMORY_EXCEEDS_DEVICE');
    expect(error?.details).toEqual({ field: 'method', requiredBytes: gib + 1, bound: gib });
    expect(error?.message).toContain('(memoryEstimate: lora r=16)');
  });

  it('names every missing field of a method, the first as the refusal field', () => {
    expect(refusalOf(() => checkTrainingMethodShape(lora))).toBeUndefined();
    const error = refusalOf(() =>
      checkTrainingMethodShape({
        kind: 'ppo',
        parameters: { kind: 'full' },
        klCoefficient: 0.1,
        clipRange: 0.2,
      }),
    );
    expect(error?.code).toBe('TRAINING_METHOD_INCOMPLETE');
    expect(error?.details['field']).toBe('method.rewardModel');
    const problems = error?.details['problems'] as string[];
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'method.rewardModel',
      'method.rolloutsPerStep',
    ]);
    expect(error?.message).toContain(`(${problems.join('; ')})`);
    expect(error?.message).toContain('a dpo method needs beta');
    // A nested field is named by its whole path; a DPO method with no parameters is incomplete, not a crash.
    const nested = refusalOf(() =>
      checkTrainingMethodShape({
        kind: 'ppo',
        parameters: { kind: 'full' },
        rewardModel: { name: 'rm' },
        klCoefficient: 0.1,
        clipRange: 0.2,
        rolloutsPerStep: 4,
      }),
    );
    expect(nested?.details['field']).toBe('method.rewardModel.version');
    expect((nested?.details['problems'] as string[])[0]).toMatch(/^method\.rewardModel\.version: /);
    expect(bounds({ ...base, method: { kind: 'dpo', beta: 0.1 } as never })?.code).toBe(
      'TRAINING_METHOD_INCOMPLETE',
    );
    // A method that is not even an object: the refusal names the method itself.
    expect(refusalOf(() => checkTrainingMethodShape('lora'))?.details['field']).toBe('method');
  });
});
