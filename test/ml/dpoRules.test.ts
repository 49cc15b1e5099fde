import { beforeAll, describe, expect, it } from 'vitest';
import {
  computeDpoGradients,
  initBackend,
  LlamaModel,
  makePreferenceBatch,
  preferenceStatistics,
  referenceLogProbs,
  Rng,
  Trainer,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

// The preference helpers' refusals and boundaries (the loss and the step are in dpo.test.ts).
beforeAll(async () => {
  await initBackend();
});

describe('DPO helpers', () => {
  it('counts a pair as won only when its margin is above 0, and averages the margins', () => {
    expect(preferenceStatistics([0, 2, -1, 3])).toEqual({ rewardAccuracy: 0.5, rewardMargin: 1 });
    expect(preferenceStatistics(Float32Array.from([0]))).toEqual({ rewardAccuracy: 0, rewardMargin: 0 });
  });

  it('refuses statistics of no margins and a batch of no pairs', () => {
    expect(() => preferenceStatistics([])).toThrow('preference statistics need at least one margin');
    expect(() => makePreferenceBatch([])).toThrow('a preference batch needs at least one pair');
  });

  it('needs a frozen reference or a LoRA adapter to switch off', () => {
    const model = LlamaModel.random(config, 3, 0.3);
    const batch = makePreferenceBatch([
      { chosen: { ids: [1, 3, 5], lossMask: [0, 1, 1] }, rejected: { ids: [1, 4], lossMask: [0, 1] } },
    ]);
    expect(() => referenceLogProbs(model, undefined, batch)).toThrow(
      'a DPO reference needs a frozen model or a LoRA adapter to switch off',
    );
    // With a frozen reference, the reference's log-probabilities of each answer.
    const { chosen, rejected } = referenceLogProbs(model, model, batch);
    expect(chosen).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(chosen[0]!).toBeLessThan(0);
    model.dispose();
  });

  it('computes the step in training mode: LoRA dropout drawn from the step’s generator', () => {
    const model = LlamaModel.random(config, 1, 0.3);
    const pairs = [
      {
        chosen: { ids: [1, 3, 5, 7], lossMask: [0, 0, 1, 1] },
        rejected: { ids: [1, 3, 6, 8], lossMask: [0, 0, 1, 1] },
      },
    ];
    const trainer = new Trainer(model, {
      learningRate: 1e-2,
      totalSteps: 5,
      seed: 3,
      mode: 'lora',
      lora: { r: 4, alpha: 8, dropout: 0.5, targetModules: ['q_proj', 'v_proj'] },
    });
    // Two steps make the adapter's B non-zero, so that dropout on its input changes the output.
    trainer.trainPreferenceStep(pairs, { beta: 0.5 });
    trainer.trainPreferenceStep(pairs, { beta: 0.5 });
    const batch = makePreferenceBatch(pairs);
    const reference = referenceLogProbs(model, undefined, batch);
    const lossWith = (seed: number) => {
      const { grads, loss } = computeDpoGradients(model, batch, reference, 0.5, new Rng(seed));
      for (const grad of grads.values()) grad.dispose();
      return loss;
    };
    expect(lossWith(1)).toBe(lossWith(1));
    expect(lossWith(1)).not.toBe(lossWith(2));
    trainer.dispose();
    model.dispose();
  });
});
