/**
 * DPO: the loss against hand computations and its analytic gradient, response-only sequence log-probs against
 * a log-softmax written here, and the trainer's preference step (LoRA and full) on a tiny model.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dpoLoss,
  initBackend,
  LlamaModel,
  makeBatch,
  makePreferenceBatch,
  preferenceStatistics,
  sequenceLogProbs,
  Trainer,
  type PreferencePair,
  type TrainerOptions,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

// The same prompt answered twice; the rejected answers differ in length from the chosen ones (padding).
const pairs: PreferencePair[] = [
  {
    chosen: { ids: [1, 3, 5, 7, 9], lossMask: [0, 0, 1, 1, 1] },
    rejected: { ids: [1, 3, 5, 8, 10, 12], lossMask: [0, 0, 1, 1, 1, 1] },
  },
  {
    chosen: { ids: [1, 4, 6, 11, 13], lossMask: [0, 0, 0, 1, 1] },
    rejected: { ids: [1, 4, 6, 14], lossMask: [0, 0, 0, 1] },
  },
  {
    chosen: { ids: [1, 15, 16, 17], lossMask: [0, 0, 1, 1] },
    rejected: { ids: [1, 15, 16, 2, 18], lossMask: [0, 0, 1, 1, 1] },
  },
];
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-dpo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const softplus = (x: number) => Math.log1p(Math.exp(x));

describe('dpoLoss', () => {
  it('is -mean(log sigmoid(beta * ((pc - rc) - (pr - rr)))) as computed by hand', () => {
    // Pair 1: margin 0.1 * ((-5 + 6) - (-7 + 6)) = 0.2; pair 2: 0.1 * ((-3 + 3) - (-1 + 4)) = -0.3.
    // -log sigmoid(0.2) = log(1 + e^-0.2) = 0.598138869, -log sigmoid(-0.3) = log(1 + e^0.3) = 0.854355244.
    const { loss, margins } = dpoLoss(
      tf.tensor1d([-5, -3]),
      tf.tensor1d([-7, -1]),
      tf.tensor1d([-6, -3]),
      tf.tensor1d([-6, -4]),
      0.1,
    );
    expect([...margins.dataSync()].map((m) => Number(m.toFixed(6)))).toEqual([0.2, -0.3]);
    expect(loss.dataSync()[0]).toBeCloseTo((0.598138869 + 0.854355244) / 2, 5);
    const stats = preferenceStatistics(margins.dataSync());
    expect(stats.rewardAccuracy).toBe(0.5);
    expect(stats.rewardMargin).toBeCloseTo(-0.05, 6);
  });

  it('stays finite for margins far beyond exp range', () => {
    const { loss } = dpoLoss(
      tf.tensor1d([0, 0]),
      tf.tensor1d([-2000, 2000]),
      tf.tensor1d([0, 0]),
      tf.tensor1d([0, 0]),
      1,
    );
    // Margins 2000 (loss ~0) and -2000 (loss ~2000): mean 1000.
    expect(loss.dataSync()[0]).toBeCloseTo(1000, 2);
  });

  it('has the gradient of the formula and of finite differences', () => {
    const beta = 0.5;
    const values = {
      pc: [-4.2, -1.3, -7],
      pr: [-3.9, -2.2, -6.5],
      rc: [-4, -1.5, -6.8],
      rr: [-4.1, -2, -6.1],
    };
    const lossOf = (pc: number[]) => {
      const margins = pc.map((_, i) => beta * (pc[i]! - values.rc[i]! - (values.pr[i]! - values.rr[i]!)));
      return margins.reduce((a, m) => a + softplus(-m), 0) / margins.length;
    };
    const grad = tf.grad(
      (pc: tf.Tensor) =>
        dpoLoss(
          pc as tf.Tensor1D,
          tf.tensor1d(values.pr),
          tf.tensor1d(values.rc),
          tf.tensor1d(values.rr),
          beta,
        ).loss,
    )(tf.tensor1d(values.pc));
    const analytic = [...grad.dataSync()];
    const h = 1e-4;
    values.pc.forEach((_, i) => {
      const up = values.pc.map((v, j) => (j === i ? v + h : v));
      const down = values.pc.map((v, j) => (j === i ? v - h : v));
      const numeric = (lossOf(up) - lossOf(down)) / (2 * h);
      const margin = beta * (values.pc[i]! - values.rc[i]! - (values.pr[i]! - values.rr[i]!));
      // d/dpc_i of mean softplus(-m) = -beta * sigmoid(-m_i) / N.
      const formula = -beta / (1 + Math.exp(margin)) / values.pc.length;
      expect(analytic[i]).toBeCloseTo(formula, 5);
      expect(analytic[i]).toBeCloseTo(numeric, 4);
    });
    expect(() => dpoLoss(tf.tensor1d([0]), tf.tensor1d([0]), tf.tensor1d([0]), tf.tensor1d([0]), 0)).toThrow(
      /beta must be positive/,
    );
  });
});

describe('sequenceLogProbs', () => {
  it('sums log p over response tokens only, as a log-softmax written out here', () => {
    const model = LlamaModel.random(config, 2, 0.3);
    const examples = [pairs[0]!.chosen, pairs[1]!.rejected];
    const batch = makeBatch(examples, 0);
    const width = batch.targets.length / examples.length;
    const { summed, logits } = tf.tidy(() => {
      const out = model.forward(batch.inputs).logits;
      return {
        summed: [...sequenceLogProbs(out, batch).dataSync()],
        logits: out.arraySync(),
      };
    });
    examples.forEach((example, b) => {
      let expected = 0;
      for (let t = 1; t < example.ids.length; t++) {
        if (!example.lossMask[t]) continue;
        const row = logits[b * width + t - 1]!;
        const max = Math.max(...row);
        const logZ = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        expected += row[example.ids[t]!]! - logZ;
      }
      expect(summed[b]).toBeCloseTo(expected, 4);
    });
    model.dispose();
  });
});

/** Mean implicit reward margin of the pairs, from log-probs of the policy and of the reference model. */
function meanMargin(policy: LlamaModel, reference: LlamaModel, beta: number): number {
  const batch = makePreferenceBatch(pairs);
  const logps = (m: LlamaModel) =>
    tf.tidy(() => [...sequenceLogProbs(m.forward(batch.inputs).logits, batch).dataSync()]);
  const p = logps(policy);
  const r = logps(reference);
  const n = pairs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += beta * (p[i]! - r[i]! - (p[n + i]! - r[n + i]!));
  return sum / n;
}

describe('Trainer.trainPreferenceStep', () => {
  const base: Omit<TrainerOptions, 'mode'> = { learningRate: 1e-2, totalSteps: 20, seed: 3 };

  it('LoRA: starts at log 2 (the reference is the model without its adapter) and raises the margin', () => {
    const model = LlamaModel.random(config, 1, 0.3);
    const reference = LlamaModel.random(config, 1, 0.3);
    const trainer = new Trainer(model, {
      ...base,
      mode: 'lora',
      lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'] },
      gradientAccumulation: 2,
    });
    const first = trainer.trainPreferenceStep(pairs, { beta: 0.5 });
    expect(first.loss).toBeCloseTo(Math.log(2), 5);
    expect(first.rewardMargin).toBeCloseTo(0, 5);
    // The DPO loss's own passes are timed as forward and backward (the reference pass is in `other`).
    expect(first.phases.forwardMs).toBeGreaterThan(0);
    expect(first.phases.backwardMs).toBeGreaterThan(0);
    let last = first;
    for (let i = 0; i < 15; i++) last = trainer.trainPreferenceStep(pairs, { beta: 0.5 });
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    expect(last.rewardAccuracy).toBe(1);
    expect(meanMargin(model, reference, 0.5)).toBeGreaterThan(1);
    trainer.dispose();
    model.dispose();
    reference.dispose();
  });

  it('full: needs a frozen reference, raises the margin, and resumes exactly from a checkpoint', () => {
    const reference = LlamaModel.random(config, 1, 0.3);
    const options: TrainerOptions = { ...base, mode: 'full', learningRate: 3e-3 };
    const run = (steps: number, trainer: Trainer) => {
      for (let i = 0; i < steps; i++) trainer.trainPreferenceStep(pairs, { beta: 0.5, model: reference });
    };
    const straight = new Trainer(LlamaModel.random(config, 1, 0.3), options);
    expect(() => straight.trainPreferenceStep(pairs, { beta: 0.5 })).toThrow(/frozen reference/);
    run(6, straight);
    expect(meanMargin(straight.model, reference, 0.5)).toBeGreaterThan(0.5);

    const first = new Trainer(LlamaModel.random(config, 1, 0.3), options);
    run(4, first);
    first.saveState(join(dir, 'ckpt'));
    const resumed = new Trainer(LlamaModel.random(config, 1, 0.3), options);
    resumed.loadState(join(dir, 'ckpt'));
    run(2, resumed);
    const a = straight.model.trainableVariables();
    for (const [key, variable] of resumed.model.trainableVariables()) {
      const want = a.get(key)!.dataSync();
      const got = variable.dataSync();
      for (let i = 0; i < want.length; i += 97) expect(got[i]).toBeCloseTo(want[i]!, 5);
    }
    for (const t of [straight, first, resumed]) {
      t.dispose();
      t.model.dispose();
    }
    reference.dispose();
  });
});
