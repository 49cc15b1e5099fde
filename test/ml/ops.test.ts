import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, learningRateAt, Rng, rotaryTables, rotateHalfMatrix } from '../../src/ml/index.js';
import { readInTidy, rmsNorm } from '../../src/ml/ops.js';

beforeAll(async () => {
  await initBackend();
});

describe('rotary embeddings', () => {
  it('tables match hand-computed cos/sin for d = 4, theta = 10000', () => {
    // inv_freq = [1, 1/100]; position 3: angles [3, 0.03, 3, 0.03]
    const { cos, sin } = rotaryTables(4, 4, 10000);
    expect(cos[3 * 4 + 0]).toBeCloseTo(Math.cos(3), 6);
    expect(cos[3 * 4 + 1]).toBeCloseTo(Math.cos(0.03), 6);
    expect(cos[3 * 4 + 2]).toBeCloseTo(Math.cos(3), 6);
    expect(sin[3 * 4 + 3]).toBeCloseTo(Math.sin(0.03), 6);
    expect(sin[0]).toBe(0);
    expect(cos[0]).toBe(1);
  });

  it('rotate_half by permutation matrix equals cat(-x2, x1)', () => {
    const { p } = rotateHalfMatrix(4);
    const x = [1, 2, 3, 4];
    const y = [0, 1, 2, 3].map((j) => x.reduce((s, v, i) => s + v * p[i * 4 + j]!, 0));
    expect(y).toEqual([-3, -4, 1, 2]);
  });
});

describe('RMSNorm', () => {
  it('matches a hand computation', () => {
    // x = [3, 4]: mean square 12.5, 1/sqrt(12.5 + 0) = 0.28284; weight [1, 2]
    const out = tf.tidy(() => rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0).arraySync());
    expect(out[0]![0]).toBeCloseTo(3 / Math.sqrt(12.5), 6);
    expect(out[0]![1]).toBeCloseTo((2 * 4) / Math.sqrt(12.5), 6);
  });
});

describe('learning rate schedule', () => {
  it('warms up linearly and decays by cosine', () => {
    expect(learningRateAt(0, 1e-3, 10, 110)).toBe(0);
    expect(learningRateAt(5, 1e-3, 10, 110)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, 1e-3, 10, 110)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, 1e-3, 10, 110)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(110, 1e-3, 10, 110)).toBeCloseTo(0, 12);
    expect(learningRateAt(110, 1e-3, 10, 110, 0.1)).toBeCloseTo(1e-4, 12);
  });
});

describe('random generator', () => {
  it('fillUniform continues the same stream as next()', () => {
    const one = new Rng(42);
    const many = new Rng(42);
    const expected = Array.from({ length: 1000 }, () => Math.fround(one.next()));
    expect(Array.from(many.fillUniform(new Float32Array(1000)))).toEqual(expected);
    expect(many.state()).toEqual(one.state());
  });
});

describe('readInTidy', () => {
  it('returns the values read in the scope and frees every tensor made there, never the variables read', () => {
    const weight = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]));
    const before = tf.memory().numTensors;
    const transposed = readInTidy(() => tf.transpose(weight).dataSync() as Float32Array);
    expect([...transposed]).toEqual([1, 4, 2, 5, 3, 6]);
    const nested = readInTidy(() => tf.add(weight, 1).arraySync());
    expect(nested).toEqual([
      [2, 3, 4],
      [5, 6, 7],
    ]);
    expect([...readInTidy(() => weight.dataSync())]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tf.memory().numTensors).toBe(before);
    expect(weight.isDisposed).toBe(false);
    weight.dispose();
  });
});
