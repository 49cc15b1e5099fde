import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '../../src/ml/index.js';
import {
  copySlots,
  decodeAttentionWasm,
  gatherRows,
  matMulEach,
  rotaryWasm,
  sumRows,
  writeSlot,
} from '../../src/ml/wasmKernels.js';

/** The wasm kernels of our own against plain JavaScript computations of the same thing. */
beforeAll(async () => {
  await initBackend('wasm');
});

const random = (size: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.uniform(-1, 1));
};

describe('wasm kernels', () => {
  it('transpose of tall matrices (our blocked kernel) and of small ones (tfjs) swap the last two axes', () => {
    for (const [count, rows, cols] of [
      [1, 300, 200],
      [3, 130, 140],
      [2, 40, 7],
    ] as const) {
      const data = random(count * rows * cols, rows);
      const shape = count === 1 ? [rows, cols] : [count, rows, cols];
      const perm = count === 1 ? [1, 0] : [0, 2, 1];
      const out = tf.tidy(() => tf.transpose(tf.tensor(data, shape), perm).dataSync());
      for (let m = 0; m < count; m++)
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < cols; j++)
            expect(out[m * rows * cols + j * rows + i]).toBe(data[m * rows * cols + i * cols + j]);
    }
  });

  it('matMulEach multiplies entry by entry', () => {
    const [n, m, k, p] = [3, 5, 4, 6];
    const a = random(n * m * k, 1);
    const b = random(n * k * p, 2);
    const out = tf.tidy(() => matMulEach(tf.tensor3d(a, [n, m, k]), tf.tensor3d(b, [n, k, p])).dataSync());
    for (let e = 0; e < n; e++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < p; j++) {
          let sum = 0;
          for (let l = 0; l < k; l++) sum += a[e * m * k + i * k + l]! * b[e * k * p + l * p + j]!;
          expect(out[e * m * p + i * p + j]).toBeCloseTo(sum, 5);
        }
    expect(() => tf.tidy(() => matMulEach(tf.zeros([2, 3, 4]), tf.zeros([2, 5, 4])))).toThrow(
      /do not pair up/,
    );
  });

  it('gatherRows copies rows and rejects an index outside the table; sumRows adds rows', () => {
    const table = random(5 * 3, 3);
    const out = tf.tidy(() =>
      gatherRows(tf.tensor2d(table, [5, 3]), tf.tensor1d([4, 0, 4], 'int32')).dataSync(),
    );
    expect(Array.from(out)).toEqual([...table.slice(12, 15), ...table.slice(0, 3), ...table.slice(12, 15)]);
    expect(() => tf.tidy(() => gatherRows(tf.tensor2d(table, [5, 3]), tf.tensor1d([5], 'int32')))).toThrow(
      /outside \[0, 5\)/,
    );
    const sums = tf.tidy(() => sumRows(tf.tensor2d(table, [5, 3])).dataSync());
    for (let j = 0; j < 3; j++)
      expect(sums[j]).toBeCloseTo(
        [0, 1, 2, 3, 4].reduce((s, r) => s + table[r * 3 + j]!, 0),
        6,
      );
  });

  it('rotaryWasm rotates by the tables and its negated form undoes it', () => {
    const [b, t, h, d] = [2, 3, 2, 4];
    const x = random(b * t * h * d, 4);
    const angles = random(t * (d / 2), 5);
    const cos = new Float32Array(t * d);
    const sin = new Float32Array(t * d);
    for (let p = 0; p < t; p++)
      for (let i = 0; i < d / 2; i++) {
        cos[p * d + i] = cos[p * d + i + d / 2] = Math.cos(angles[p * (d / 2) + i]!);
        sin[p * d + i] = sin[p * d + i + d / 2] = Math.sin(angles[p * (d / 2) + i]!);
      }
    const [rotated, back] = tf.tidy(() => {
      const c = tf.tensor2d(cos, [t, d]);
      const s = tf.tensor2d(sin, [t, d]);
      const y = rotaryWasm(tf.tensor4d(x, [b, t, h, d]), c, s, false)!;
      return [y.dataSync(), rotaryWasm(y, c, s, true)!.dataSync()];
    });
    for (let row = 0; row < b * t * h; row++) {
      const p = Math.floor(row / h) % t;
      for (let j = 0; j < d; j++) {
        const half = j < d / 2 ? -x[row * d + j + d / 2]! : x[row * d + j - d / 2]!;
        expect(rotated![row * d + j]).toBeCloseTo(
          x[row * d + j]! * cos[p * d + j]! + half * sin[p * d + j]!,
          5,
        );
        expect(back![row * d + j]).toBeCloseTo(x[row * d + j]!, 5);
      }
    }
  });

  it('decodeAttentionWasm attends over slots first[e]..length of caches with spare room, as softmax(q k^T) v', () => {
    // Entries of 11, 9, 6 and 1 slots: blocks of four keys and the remainders after them.
    const [n, m, d, stride, length] = [4, 2, 4, 13, 11];
    const first = [0, 2, 5, 10];
    const q = random(n * m * d, 3);
    const k = random(n * stride * d, 4);
    const v = random(n * stride * d, 5);
    const scale = 0.5;
    const out = tf.tidy(() =>
      decodeAttentionWasm(
        tf.tensor3d(q, [n, m, d]),
        tf.tensor3d(k, [n, stride, d]),
        tf.tensor3d(v, [n, stride, d]),
        scale,
        first,
        length,
      )!.dataSync(),
    );
    for (let e = 0; e < n; e++)
      for (let r = 0; r < m; r++) {
        const slots = Array.from({ length: length - first[e]! }, (_, i) => first[e]! + i);
        const scores = slots.map((s) => {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += q[(e * m + r) * d + j]! * k[(e * stride + s) * d + j]!;
          return dot * scale;
        });
        const max = Math.max(...scores);
        const weights = scores.map((x) => Math.exp(x - max));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let j = 0; j < d; j++) {
          const expected = slots.reduce(
            (sum, s, i) => sum + (weights[i]! / total) * v[(e * stride + s) * d + j]!,
            0,
          );
          expect(out[(e * m + r) * d + j]).toBeCloseTo(expected, 5);
        }
      }
    // A start at or past the length, or a length past the cache, is refused.
    expect(() =>
      tf.tidy(() =>
        decodeAttentionWasm(
          tf.zeros([1, 1, d]),
          tf.zeros([1, stride, d]),
          tf.zeros([1, stride, d]),
          1,
          [4],
          4,
        ),
      ),
    ).toThrow(/do not pair up/);
    expect(() =>
      tf.tidy(() =>
        decodeAttentionWasm(tf.zeros([1, 1, d]), tf.zeros([1, 3, d]), tf.zeros([1, 3, d]), 1, [0], 4),
      ),
    ).toThrow(/do not pair up/);
  });

  it('writeSlot writes one slot of every entry in the cache’s own buffer and leaves the others', () => {
    const [n, slots, d, slot] = [3, 5, 4, 3];
    const before = random(n * slots * d, 6);
    const x = random(n * d, 7);
    const cache = tf.tensor3d(before, [n, slots, d]);
    const written = tf.tidy(() => writeSlot(cache, tf.tensor3d(x, [n, 1, d]), slot));
    expect(written).toBe(cache);
    const after = cache.dataSync();
    for (let e = 0; e < n; e++)
      for (let s = 0; s < slots; s++)
        for (let j = 0; j < d; j++) {
          const at = (e * slots + s) * d + j;
          expect(after[at]).toBe(s === slot ? x[e * d + j] : before[at]);
        }
    expect(() => writeSlot(cache, tf.zeros([n, 1, d]), slots)).toThrow(/does not fit/);
    expect(() => writeSlot(cache, tf.zeros([n - 1, 1, d]), 0)).toThrow(/does not fit/);
    cache.dispose();
  });

  it('copySlots copies slot ranges between entries in the target’s own buffer, overlapping ranges as memmove', () => {
    const [n, slots, d] = [4, 6, 3];
    const before = random(n * slots * d, 8);
    const source = random(2 * 3 * d, 9);
    const at = (e: number, s: number, j: number, width = slots) => (e * width + s) * d + j;
    const cache = tf.tensor3d(before, [n, slots, d]);
    // Source entry 1 into entry 3 and source entry 0 into entry 0, slots 1..3 of the source to slots 2..4.
    const copied = tf.tidy(() =>
      copySlots(
        cache,
        tf.tensor3d(source, [2, 3, d]),
        [
          [1, 3],
          [0, 0],
        ],
        { from: 1, to: 2, count: 2 },
      ),
    );
    expect(copied).toBe(cache);
    let after = cache.dataSync();
    for (let e = 0; e < n; e++)
      for (let s = 0; s < slots; s++)
        for (let j = 0; j < d; j++) {
          const from = e === 3 ? 1 : e === 0 ? 0 : -1;
          const expected = from >= 0 && s >= 2 && s < 4 ? source[at(from, s - 1, j, 3)] : before[at(e, s, j)];
          expect(after[at(e, s, j)]).toBe(expected);
        }
    // Within one tensor, overlapping: slots 2..5 of every entry move to the front.
    const snapshot = Float32Array.from(after);
    const every = [0, 1, 2, 3].map((e) => [e, e] as const);
    expect(copySlots(cache, cache, every, { from: 2, to: 0, count: 4 })).toBe(cache);
    after = cache.dataSync();
    for (let e = 0; e < n; e++)
      for (let s = 0; s < slots; s++)
        for (let j = 0; j < d; j++)
          expect(after[at(e, s, j)]).toBe(s < 4 ? snapshot[at(e, s + 2, j)] : snapshot[at(e, s, j)]);
    expect(() => copySlots(cache, cache, every, { from: 3, to: 0, count: 4 })).toThrow(/do not fit/);
    expect(() => copySlots(cache, cache, [[4, 0]], { from: 0, to: 0, count: 1 })).toThrow(/do not fit/);
    cache.dispose();
  });
});
