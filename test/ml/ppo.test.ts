/**
 * PPO's pieces against hand computations and finite differences: KL-penalised rewards, GAE, whitening,
 * explained variance, the clipped surrogate and clipped value losses, token log-probs and entropy, the
 * adaptive KL coefficient, and the gradient of the whole loss through the policy and its value head.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clippedPolicyLoss,
  clippedValueLoss,
  computePpoGradients,
  explainedVariance,
  generalisedAdvantages,
  initBackend,
  KlController,
  LlamaModel,
  LoraAdapter,
  makeBatch,
  penalisedRewards,
  responseSpans,
  Rng,
  tokenLogProbsAndEntropy,
  ValueHead,
  whiten,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

beforeAll(async () => {
  await initBackend();
});

const close = (got: ArrayLike<number>, want: number[], digits = 5) =>
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));

describe('penalisedRewards and generalisedAdvantages', () => {
  // Two rows of width 4: row 0 answers at positions 1..3, row 1 at 0..1.
  const mask = [0, 1, 1, 1, 1, 1, 0, 0];
  const logProbs = [9, -1, -2, -0.5, -2, -3, 9, 9];
  const refLogProbs = [-9, -1.5, -1, -0.5, -2, -2, -9, -9];
  const values = [7, 0.5, 1.0, 1.5, 0.2, -0.4, 7, 7];

  it('puts -beta * (log pi - log ref) on every response token and the score on the last one', () => {
    const { rewards, kl, sequenceKl } = penalisedRewards([2, -1], logProbs, refLogProbs, mask, 0.1);
    close(kl, [0, 0.5, -1, 0, 0, -1, 0, 0]);
    // Row 0: -0.05, 0.1, 0 + 2; row 1: 0, 0.1 - 1.
    close(rewards, [0, -0.05, 0.1, 2, 0, -0.9, 0, 0]);
    close(sequenceKl, [-0.5, -1]);
  });

  it('estimates advantages and returns backwards from the last response token, as computed by hand', () => {
    const { rewards } = penalisedRewards([2, -1], logProbs, refLogProbs, mask, 0.1);
    const { advantages, returns } = generalisedAdvantages(rewards, values, mask, 2, 0.9, 0.8);
    // Row 0 (gamma 0.9, gamma * lambda 0.72):
    //   t3: delta = 2 - 1.5 = 0.5, A = 0.5
    //   t2: delta = 0.1 + 0.9 * 1.5 - 1 = 0.45, A = 0.45 + 0.72 * 0.5 = 0.81
    //   t1: delta = -0.05 + 0.9 * 1 - 0.5 = 0.35, A = 0.35 + 0.72 * 0.81 = 0.9332
    // Row 1: t1: delta = -0.9 + 0.4 = -0.5, A = -0.5; t0: delta = 0.9 * -0.4 - 0.2 = -0.56, A = -0.92
    close(advantages, [0, 0.9332, 0.81, 0.5, -0.92, -0.5, 0, 0]);
    close(returns, [0, 1.4332, 1.81, 2, -0.72, -0.9, 0, 0]);
  });

  it('with gamma = lambda = 1 and a zero value head, every advantage is the rest of the episode', () => {
    const { advantages } = generalisedAdvantages([0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1], 1, 1, 1);
    close(advantages, [6, 6, 5, 3]);
  });

  it('refuses a mask that is not one run of response tokens per row', () => {
    expect(() => responseSpans([1, 0, 1, 0], 1)).toThrow(/contiguous/);
    expect(() => responseSpans([0, 0, 1, 0], 2)).toThrow(/row 0 has no response token/);
    expect(() => penalisedRewards([1], [0, 0], [0], [1, 1], 0.1)).toThrow(/same layout/);
  });
});

describe('whiten and explainedVariance', () => {
  it('whitens over the masked entries with the Bessel-corrected variance', () => {
    close(whiten([1, 2, 3, 100], [1, 1, 1, 0]), [-1, 0, 1, 0], 4);
  });

  it('is 1 for a perfect value head and 0 for a constant one', () => {
    const returns = [1, 3, 2, 8];
    expect(explainedVariance(returns, returns, [1, 1, 1, 1])).toBeCloseTo(1, 6);
    expect(explainedVariance([5, 5, 5, 5], returns, [1, 1, 1, 1])).toBeCloseTo(0, 6);
    // Values off by a constant explain everything (the variance of the residual is 0).
    expect(explainedVariance([2, 4, 3, 9], returns, [1, 1, 1, 0])).toBeCloseTo(1, 6);
  });
});

describe('clippedPolicyLoss', () => {
  const old = [0, 0, 0, 0];
  const advantages = [1, 1, -1, 2];
  const mask = [1, 1, 1, 0];
  const logRatio = [0, Math.log(1.5), Math.log(0.5), Math.log(1.1)];

  it('is the masked mean of max(-A r, -A clip(r)), as computed by hand', () => {
    const parts = clippedPolicyLoss(tf.tensor1d(logRatio), old, advantages, mask, 0.2);
    // Token 0: r = 1, -1; token 1: r = 1.5 clipped to 1.2, max(-1.5, -1.2) = -1.2; token 2: r = 0.5 and
    // A = -1, max(0.5, 0.8) = 0.8; token 3 is masked out.
    expect(parts.loss.dataSync()[0]).toBeCloseTo((-1 - 1.2 + 0.8) / 3, 5);
    expect(parts.clipFraction.dataSync()[0]).toBeCloseTo(2 / 3, 6);
    expect(parts.approxKl.dataSync()[0]).toBeCloseTo(
      (0.5 * (Math.log(1.5) ** 2 + Math.log(0.5) ** 2)) / 3,
      6,
    );
  });

  it('has the gradient of the formula and of finite differences: zero where the clip holds', () => {
    const lossOf = (lp: number[]) => {
      let sum = 0;
      lp.forEach((l, i) => {
        if (!mask[i]) return;
        const r = Math.exp(l - old[i]!);
        sum += Math.max(-advantages[i]! * r, -advantages[i]! * Math.min(1.2, Math.max(0.8, r)));
      });
      return sum / 3;
    };
    const point = [0.05, Math.log(1.5), Math.log(0.5), 0.3];
    const analytic = [
      ...tf
        .grad((lp: tf.Tensor) => clippedPolicyLoss(lp as tf.Tensor1D, old, advantages, mask, 0.2).loss)(
          tf.tensor1d(point),
        )
        .dataSync(),
    ];
    // Token 0 is unclipped: d/dl (-A e^l) / 3 = -e^0.05 / 3; tokens 1 and 2 are clipped, token 3 masked.
    close(analytic, [-Math.exp(0.05) / 3, 0, 0, 0], 5);
    const h = 1e-3;
    point.forEach((_, i) => {
      const up = point.map((v, j) => (j === i ? v + h : v));
      const down = point.map((v, j) => (j === i ? v - h : v));
      expect(analytic[i]).toBeCloseTo((lossOf(up) - lossOf(down)) / (2 * h), 4);
    });
    expect(() => clippedPolicyLoss(tf.tensor1d([0]), [0], [1], [1], 0)).toThrow(/clip range/);
  });
});

describe('clippedValueLoss', () => {
  const old = [0.9, 1.0, 0.5];
  const returns = [1.5, 1.0, -1.0];
  const mask = [1, 1, 1];

  it('is half the masked mean of max((V - R)^2, (clip(V) - R)^2), as computed by hand', () => {
    const parts = clippedValueLoss(tf.tensor1d([1.0, 2.0, 0.0]), old, returns, mask, 0.2);
    // 0: both (1 - 1.5)^2 = 0.25; 1: (2 - 1)^2 = 1 beats (1.2 - 1)^2; 2: clipped (0.3 + 1)^2 = 1.69 beats 1.
    expect(parts.loss.dataSync()[0]).toBeCloseTo((0.5 * (0.25 + 1 + 1.69)) / 3, 5);
    expect(parts.clipFraction.dataSync()[0]).toBeCloseTo(1 / 3, 6);
  });

  it('has the gradient of the formula and of finite differences', () => {
    const point = [1.0, 2.0, 0.0];
    const lossOf = (v: number[]) =>
      v.reduce((sum, x, i) => {
        const clipped = old[i]! + Math.min(0.2, Math.max(-0.2, x - old[i]!));
        return sum + 0.5 * Math.max((x - returns[i]!) ** 2, (clipped - returns[i]!) ** 2);
      }, 0) / 3;
    const analytic = [
      ...tf
        .grad((v: tf.Tensor) => clippedValueLoss(v as tf.Tensor1D, old, returns, mask, 0.2).loss)(
          tf.tensor1d(point),
        )
        .dataSync(),
    ];
    // d/dV: (V - R) / 3 where the unclipped term wins, 0 where the saturated clipped one does.
    close(analytic, [-0.5 / 3, 1 / 3, 0], 5);
    const h = 1e-3;
    point.forEach((_, i) => {
      const up = point.map((v, j) => (j === i ? v + h : v));
      const down = point.map((v, j) => (j === i ? v - h : v));
      expect(analytic[i]).toBeCloseTo((lossOf(up) - lossOf(down)) / (2 * h), 4);
    });
  });
});

describe('tokenLogProbsAndEntropy', () => {
  it('is log-softmax at the target and -sum p log p, as written out here', () => {
    const rows = [
      [1, 2, 3],
      [0, 0, 0],
      [-5, 10, 2],
    ];
    const targets = Int32Array.from([2, 0, 1]);
    const { logProbs, entropy } = tokenLogProbsAndEntropy(tf.tensor2d(rows), targets);
    rows.forEach((row, i) => {
      const z = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      const logp = row.map((x) => x - z);
      expect(logProbs.dataSync()[i]).toBeCloseTo(logp[targets[i]!]!, 5);
      expect(entropy.dataSync()[i]).toBeCloseTo(-logp.reduce((a, l) => a + Math.exp(l) * l, 0), 5);
    });
    expect(entropy.dataSync()[1]).toBeCloseTo(Math.log(3), 6);
  });
});

describe('KlController', () => {
  it('adapts by 1 + clip(KL / target - 1, -0.2, 0.2) * n / horizon, and stays fixed without a target', () => {
    const adaptive = new KlController(0.2, 6, 10000);
    expect(adaptive.update(9, 100)).toBeCloseTo(0.2 * 1.002, 10);
    expect(adaptive.update(3, 100)).toBeCloseTo(0.2 * 1.002 * 0.998, 10);
    expect(adaptive.update(6.6, 1000)).toBeCloseTo(0.2 * 1.002 * 0.998 * 1.01, 10);
    const fixed = new KlController(0.2);
    expect(fixed.update(100, 1000)).toBe(0.2);
    expect(() => new KlController(-1)).toThrow(/at least 0/);
  });
});

describe('computePpoGradients', () => {
  it('starts at ratio 1, and its value-head gradient matches finite differences of the loss', () => {
    const model = LlamaModel.random(config, 4, 0.3);
    model.lora = LoraAdapter.create(
      config,
      { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
      7,
    );
    const head = ValueHead.create(config.hiddenSize, new Rng(5), 0.5);
    const batch = makeBatch(
      [
        { ids: [1, 4, 5, 6, 7], lossMask: [0, 0, 1, 1, 1] },
        { ids: [1, 8, 9], lossMask: [0, 1, 1] },
      ],
      0,
    );
    const old = tf.tidy(() => {
      const { logits, hidden } = model.forward(batch.inputs);
      return {
        logProbs: Float32Array.from(tokenLogProbsAndEntropy(logits, batch.targets).logProbs.dataSync()),
        values: Float32Array.from(head.apply(hidden).dataSync()),
      };
    });
    const advantages = Float32Array.from(batch.lossWeights, (m, i) => (m ? ((i % 3) - 1) * 0.7 : 0));
    const returns = Float32Array.from(old.values, (v, i) => v + (i % 2 ? 0.15 : -0.35));
    const minibatch = {
      batch,
      oldLogProbs: old.logProbs,
      oldValues: old.values,
      advantages,
      returns,
    };
    const options = { clipRange: 0.2, clipRangeValue: 0.2, valueCoefficient: 0.5 };
    const result = computePpoGradients(model, head, minibatch, options);
    expect(result.clipFraction).toBe(0);
    expect(result.approxKl).toBeCloseTo(0, 8);
    // At ratio 1, the policy loss is -mean(A) over the response tokens.
    const n = batch.lossWeights.reduce((a, m) => a + m, 0);
    const meanAdvantage = advantages.reduce((a, x) => a + x, 0) / n;
    expect(result.policyLoss).toBeCloseTo(-meanAdvantage, 5);
    // The value loss is half the mean squared return offset (no clipping at V = V_old).
    let squares = 0;
    batch.lossWeights.forEach((m, i) => (squares += m ? (returns[i]! - old.values[i]!) ** 2 : 0));
    expect(result.valueLoss).toBeCloseTo((0.5 * squares) / n, 5);
    expect([...result.grads.keys()]).toEqual(
      expect.arrayContaining(['v_head.weight', 'v_head.bias', ...model.lora.variables().keys()]),
    );
    // d loss / d bias by central differences of the whole loss (the policy part does not depend on it).
    const bias = result.grads.get('v_head.bias')!.dataSync()[0]!;
    const lossAt = (delta: number) => {
      head.bias.assign(tf.tensor1d([delta]));
      return computePpoGradients(model, head, minibatch, options).loss;
    };
    const h = 1e-2;
    expect(bias).toBeCloseTo((lossAt(h) - lossAt(-h)) / (2 * h), 3);
    for (const g of result.grads.values()) g.dispose();
    head.dispose();
    model.dispose();
  });
});
