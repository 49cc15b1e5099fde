import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, adamWStepOps, type AdamWOptions } from '../../src/ml/adamw.js';
import { adamWStepWasm } from '../../src/ml/adamwWasm.js';
import { initBackend, Rng } from '../../src/ml/index.js';

/**
 * AdamW's one-pass wasm kernel against the op sequence it replaces: one step on the same inputs on wasm, and
 * whole AdamW runs on wasm against the cpu backend (float32 typed arrays, each op rounded once). Weights and
 * moments must match bit for bit.
 */

const random = (size: number, seed: number, scale: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.uniform(-scale, scale));
};

const SHAPES: Record<string, [number, number] | [number]> = {
  matrix: [37, 23],
  norm: [41],
};

interface Run {
  weights: Map<string, Float32Array>;
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/** Five AdamW steps from the same weights and gradients (two micro-batches on some). */
async function run(backend: 'cpu' | 'wasm', options: AdamWOptions): Promise<Run> {
  await initBackend(backend);
  const variables = new Map(
    Object.entries(SHAPES).map(([key, shape], i) => [
      key,
      tf.variable(
        tf.tensor(
          random(
            shape.reduce((a, b) => a * b, 1),
            i + 1,
            0.5,
          ),
          shape,
        ),
        true,
      ),
    ]),
  );
  const optimizer = new AdamW(variables, options);
  for (let step = 1; step <= 5; step++) {
    const parts = step % 2 === 0 ? 2 : 1;
    const scale = 0.05 * step;
    const sums = new Map(
      Object.entries(SHAPES).map(([key, shape], i) => [
        key,
        tf.tensor(
          random(
            shape.reduce((a, b) => a * b, 1),
            100 * step + i,
            scale,
          ),
          shape,
        ),
      ]),
    );
    optimizer.update(variables, sums, parts, 3e-3 / step, step);
    for (const g of sums.values()) g.dispose();
  }
  const out: Run = { weights: new Map(), moments: new Map() };
  for (const [key, variable] of variables) {
    out.weights.set(key, Float32Array.from(variable.dataSync() as Float32Array));
    const { m, v } = optimizer.momentsOf(key)!;
    out.moments.set(key, {
      m: Float32Array.from(m.dataSync() as Float32Array),
      v: Float32Array.from(v.dataSync() as Float32Array),
    });
    variable.dispose();
  }
  optimizer.dispose();
  return out;
}

afterAll(async () => {
  await initBackend('wasm');
});

describe('AdamW on wasm (one pass per variable)', () => {
  it("gives the ops' weight and moments bit for bit for one step, with clipping and decay or neither", async () => {
    await initBackend('wasm');
    const shape = [53, 29];
    const size = 53 * 29;
    const tensors = [1, 2, 3, 4].map((seed) => tf.tensor(random(size, seed, seed === 2 ? 3 : 0.5), shape));
    const [param, grad, m] = tensors as [tf.Tensor, tf.Tensor, tf.Tensor];
    const v = tf.square(tensors[3]!);
    for (const [clip, decay] of [
      [0.37, 1 - 3e-3 * 0.1],
      [1, 1],
    ]) {
      const scalars = {
        clip: clip!,
        beta1: 0.9,
        oneMinusBeta1: 1 - 0.9,
        beta2: 0.999,
        oneMinusBeta2: 1 - 0.999,
        decay: decay!,
        sqrtBias2: Math.sqrt(1 - 0.999 ** 3),
        epsilon: 1e-8,
        stepSize: 3e-3 / (1 - 0.9 ** 3),
      };
      const read = (t: { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor }) =>
        [t.param, t.m, t.v].map((x) => {
          const data = Float32Array.from(x.dataSync() as Float32Array);
          x.dispose();
          return data;
        });
      const fused = read(adamWStepWasm(param, grad, m, v, scalars)!);
      const ops = read(tf.tidy(() => adamWStepOps(param, grad, m, v, scalars)));
      expect(fused).toEqual(ops);
      // The step moved every weight.
      const before = param.dataSync();
      expect(fused[0]!.every((w, i) => w !== before[i])).toBe(true);
    }
    tf.dispose([...tensors, v]);
  });

  for (const [label, options] of [
    ['with weight decay', { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, maxGradNorm: null }],
    [
      'without weight decay, other betas',
      { beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0, maxGradNorm: null },
    ],
  ] as const) {
    it(`gives the cpu backend's weights and moments bit for bit over five steps, ${label}`, async () => {
      const reference = await run('cpu', options);
      const fused = await run('wasm', options);
      expect(tf.getBackend()).toBe('wasm');
      for (const key of Object.keys(SHAPES)) {
        expect(fused.weights.get(key)).toEqual(reference.weights.get(key));
        expect(fused.moments.get(key)!.m).toEqual(reference.moments.get(key)!.m);
        expect(fused.moments.get(key)!.v).toEqual(reference.moments.get(key)!.v);
      }
    });
  }

  it('leaves other backends to the ops and refuses mismatched shapes', async () => {
    await initBackend('cpu');
    const t = tf.ones([2, 3]);
    const scalars = {
      clip: 1,
      beta1: 0.9,
      oneMinusBeta1: 0.1,
      beta2: 0.999,
      oneMinusBeta2: 0.001,
      decay: 1,
      sqrtBias2: 1,
      epsilon: 1e-8,
      stepSize: 1e-3,
    };
    expect(adamWStepWasm(t, t, t, t, scalars)).toBeUndefined();
    t.dispose();
    await initBackend('wasm');
    const w = tf.ones([2, 3]);
    const g = tf.ones([3, 2]);
    expect(() => adamWStepWasm(w, g, w, w, scalars)).toThrow(/do not have the weight's shape \[2,3\]/);
    tf.dispose([w, g]);
  });
});
