import * as tf from '@tensorflow/tfjs';
import { inverseFrequencies, type RopeScaling } from './ropeScaling.js';
import { decodeAttentionWasm, gatherRows, matMulEach, rotaryWasm, sumRows } from './wasmKernels.js';

/** tfjs types custom-gradient functions with variadic inputs; ours have fixed ones. */
type GradFn = (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
};
function custom(f: unknown): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as GradFn) as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/*
 * Kernel choices for tfjs-backend-wasm: its fast matmul (XNNPACK) runs only for 2-D operands without
 * transpose flags, and autodiff of tf.matMul produces transposed matmuls. These ops therefore take weights
 * already laid out [in, out] and write their gradients with explicit transposes.
 */

/** x [n, in] @ wt [in, out] where wt is frozen: only dx is computed, from w = wt^T ([out, in]) held by the caller. */
export function linearFrozen(x: tf.Tensor2D, wt: tf.Tensor2D, w: () => tf.Tensor2D): tf.Tensor2D {
  const op = custom((input: tf.Tensor) => ({
    value: tf.matMul(input as tf.Tensor2D, wt),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, w()),
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * x^T dy for x [n, in] and dy [n, out]: transposes (wasm's are slow, ~10 ns an element) the smaller side, i.e.
 * x, or dy and then the small [out, in] product, as (dy^T x)^T: a LoRA A (out = r) avoids transposing x.
 */
function weightGrad(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  const [n, inputs] = x.shape;
  const outputs = dy.shape[1];
  if (n * outputs + inputs * outputs < n * inputs)
    return tf.transpose(tf.matMul(tf.transpose(dy), x)) as tf.Tensor2D;
  return tf.matMul(transposedOnce(x), dy);
}

/**
 * Transposes by data buffer, so that projections sharing an input (q, k and v; gate and up) transpose it once
 * per backward pass (they see clones of it, which share the buffer). An entry lives as long as the scope
 * that made it; a disposed one is made again.
 */
const transposes = new WeakMap<object, tf.Tensor2D>();
function transposedOnce(x: tf.Tensor2D): tf.Tensor2D {
  const cached = transposes.get(x.dataId);
  if (cached && !cached.isDisposed) return cached;
  const made = tf.transpose(x);
  transposes.set(x.dataId, made);
  return made;
}

/** x [n, in] @ wt [in, out] with gradients for both. */
export function linearTrainable(x: tf.Tensor2D, wt: tf.Tensor2D): tf.Tensor2D {
  const op = custom((input: tf.Tensor, weight: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, weight]);
    return {
      value: tf.matMul(input as tf.Tensor2D, weight as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(b)), weightGrad(a, dy as tf.Tensor2D)];
      },
    };
  });
  return op(x, wt) as tf.Tensor2D;
}

/** The last two axes of [n, r, c] swapped. */
function swapLast(x: tf.Tensor): tf.Tensor3D {
  return tf.transpose(x, [0, 2, 1]) as tf.Tensor3D;
}

/**
 * An additive attention mask: [m, t] shared by every entry, or [n, 1, t] per entry (a batch of sequences of
 * different lengths, each query row seeing only its own sequence's keys).
 */
export type AttentionMask = tf.Tensor2D | tf.Tensor3D;

/** softmax(q k^T * scale + mask) for [n, m, d] queries against [n, t, d] keys. */
function attentionProbs(q: tf.Tensor3D, k: tf.Tensor3D, scale: number, mask?: AttentionMask): tf.Tensor3D {
  const scaled = tf.mul(matMulEach(q, swapLast(k)), scale);
  return tf.softmax(mask ? tf.add(scaled, mask) : scaled) as tf.Tensor3D;
}

/**
 * Scaled dot-product attention over n independent entries (batch x kv head): softmax(q k^T * scale + mask) v
 * for q [n, m, d], k and v [n, t, d] and an additive mask ([m, t] or [n, 1, t]); returns the context [n, m, d] and, when
 * asked, the softmax weights [n, m, t] (no gradient flows through those).
 *
 * The wasm backend runs a batched (rank-3) or transposed matmul as a scalar loop about 10x slower than its
 * XNNPACK path for plain 2-D products, so every product here, forward and backward, is a 2-D matmul per entry
 * (matMulEach), with the transposes done once per tensor.
 */
export function attention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  scale: number,
  mask?: AttentionMask,
  withProbs = false,
): { context: tf.Tensor3D; probs?: tf.Tensor3D } {
  if (withProbs) {
    const probs = attentionProbs(q, k, scale, mask);
    return { context: matMulEach(probs, v), probs };
  }
  const op = custom((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const probs = attentionProbs(qi as tf.Tensor3D, ki as tf.Tensor3D, scale, mask);
    save([qi, ki, vi, probs]);
    return {
      value: matMulEach(probs, vi as tf.Tensor3D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, p] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const dv = matMulEach(swapLast(p), dy as tf.Tensor3D);
        const dp = matMulEach(dy as tf.Tensor3D, swapLast(sv));
        // softmax backward: p * (dp - sum(dp * p)), then the scale of the scores
        const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))), scale) as tf.Tensor3D;
        const dq = matMulEach(ds, sk);
        const dk = matMulEach(swapLast(ds), sq);
        return [dq, dk, dv];
      },
    };
  });
  return { context: op(q, k, v) as tf.Tensor3D };
}

/**
 * Attention of a decoding step, without gradient: q [n, m, d] (m queries per entry, here the heads sharing a kv
 * head) against each entry's cached k and v [n, s, d], entry e seeing its keys from first[e] up to `length`
 * (default s: the slots before first[e] are padding, those from `length` on spare room). On wasm one pass over the cache (decodeAttentionWasm); elsewhere `attention` with the
 * equivalent additive mask.
 */
export function decodeAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  scale: number,
  first: readonly number[],
  length: number = k.shape[1],
): tf.Tensor3D {
  const fast = decodeAttentionWasm(q, k, v, scale, first, length);
  if (fast) return fast;
  const used = length < k.shape[1];
  const keys = used ? (tf.slice(k, [0, 0, 0], [-1, length, -1]) as tf.Tensor3D) : k;
  const values = used ? (tf.slice(v, [0, 0, 0], [-1, length, -1]) as tf.Tensor3D) : v;
  const mask = new Float32Array(first.length * length);
  first.forEach((start, e) => mask.fill(-1e9, e * length, e * length + start));
  return attention(q, keys, values, scale, tf.tensor3d(mask, [first.length, 1, length])).context;
}

/** Embedding lookup table[ids] of a frozen table (rows copied whole on wasm). */
export function embedFrozen(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  return gatherRows(table, tf.tensor1d(ids, 'int32'));
}

/**
 * Embedding lookup whose gradient is a scatter-add done on the host: tfjs's gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks.
 */
export function embedTrainable(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [vocab, width] = table.shape;
  const op = custom((weights: tf.Tensor) => ({
    value: gatherRows(weights as tf.Tensor2D, tf.tensor1d(ids, 'int32')),
    gradFunc: (dy: tf.Tensor) => {
      const g = dy.dataSync();
      const out = new Float32Array(vocab * width);
      for (let i = 0; i < ids.length; i++) {
        const row = ids[i]! * width;
        const from = i * width;
        for (let j = 0; j < width; j++) out[row + j]! += g[from + j]!;
      }
      return tf.tensor2d(out, [vocab, width]);
    },
  }));
  return op(table) as tf.Tensor2D;
}

/**
 * Root-mean-square norm over the last axis, as LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * weight, with its
 * gradient written out (autodiff of the mean builds a ones tensor of x's size on the host each time). The
 * weight's gradient is computed only when it is a trainable variable.
 */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const normalize = (input: tf.Tensor) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(input), -1, true), eps));
    return { r, xhat: tf.mul(input, r) };
  };
  const inputGrad = (dy: tf.Tensor, xhat: tf.Tensor, r: tf.Tensor) => {
    const g = tf.mul(dy, weight);
    return tf.mul(r, tf.sub(g, tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))));
  };
  if (weight instanceof tf.Variable && weight.trainable) {
    const op = custom((input: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
      const { r, xhat } = normalize(input);
      save([xhat, r]);
      return {
        value: tf.mul(xhat, w),
        gradFunc: (dy: tf.Tensor, [xhat, r]: tf.Tensor[]) => [
          inputGrad(dy, xhat!, r!),
          sumRows(tf.mul(dy, xhat!) as tf.Tensor2D),
        ],
      };
    });
    return op(x, weight) as tf.Tensor2D;
  }
  const op = custom((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const { r, xhat } = normalize(input);
    save([xhat, r]);
    return {
      value: tf.mul(xhat, weight),
      gradFunc: (dy: tf.Tensor, [xhat, r]: tf.Tensor[]) => inputGrad(dy, xhat!, r!),
    };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * Per-row cross-entropy -log softmax(logits)[target] for logits [rows, vocab], with the gradient
 * (softmax - one-hot) * dy written out: autodiff of a one-hot product costs a ones tensor of the logits' size,
 * and gather's gradient needs a kernel the wasm backend lacks.
 */
export function tokenCrossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const [rows, vocab] = logits.shape;
  if (targets.length !== rows) throw new Error(`${targets.length} targets for ${rows} rows of logits`);
  const flat = new Int32Array(rows);
  targets.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      throw new Error(`target token id ${t} at row ${i} is outside the vocabulary [0, ${vocab})`);
    flat[i] = i * vocab + t;
  });
  const op = custom((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const logProbs = tf.logSoftmax(input as tf.Tensor2D);
    save([logProbs]);
    return {
      value: tf.neg(tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(flat, 'int32'))),
      gradFunc: (dy: tf.Tensor, [logProbs]: tf.Tensor[]) => {
        const oneHot = new Float32Array(rows * vocab);
        for (const index of flat) oneHot[index] = 1;
        return tf.mul(
          tf.sub(tf.exp(logProbs!), tf.tensor2d(oneHot, [rows, vocab])),
          tf.reshape(dy, [rows, 1]),
        );
      },
    };
  });
  return op(logits) as tf.Tensor1D;
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Rotary embedding x * cos + rotate_half(x) * sin for x [batch, seq, heads, d] and tables [seq, d] whose two
 * halves repeat (as Hugging Face builds them). On wasm one kernel does it, and the gradient is the inverse
 * rotation (sin negated); elsewhere rotate_half is a matmul by the permutation `p` (its transpose `pT`).
 */
export function rotary(
  x: tf.Tensor4D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  p: tf.Tensor2D,
  pT: tf.Tensor2D,
): tf.Tensor4D {
  if (tf.getBackend() === 'wasm') {
    const op = custom((input: tf.Tensor, save: tf.GradSaveFunc) => {
      // The tables may be intermediates of the forward pass, disposed before the backward one unless saved.
      save([cos, sin]);
      return {
        value: rotaryWasm(input as tf.Tensor4D, cos, sin, false)!,
        gradFunc: (dy: tf.Tensor, [c, s]: tf.Tensor[]) =>
          rotaryWasm(dy as tf.Tensor4D, c as tf.Tensor2D, s as tf.Tensor2D, true)!,
      };
    });
    return op(x) as tf.Tensor4D;
  }
  const [batch, seq, heads, d] = x.shape;
  const rotated = linearFrozen(tf.reshape(x, [-1, d]), p, () => pT).reshape([batch, seq, heads, d]);
  const shape = [1, seq, 1, d];
  return tf.add(tf.mul(x, tf.reshape(cos, shape)), tf.mul(rotated, tf.reshape(sin, shape))) as tf.Tensor4D;
}

/**
 * The signed permutation P with x @ P = rotate_half(x) = cat(-x[d/2:], x[:d/2]) (Hugging Face convention).
 * A matmul by P replaces slicing, which the wasm backend implements by copying the whole input per slice.
 */
export function rotateHalfMatrix(dim: number): { p: Float32Array; pT: Float32Array } {
  const half = dim / 2;
  const p = new Float32Array(dim * dim);
  const pT = new Float32Array(dim * dim);
  for (let j = 0; j < half; j++) {
    p[(j + half) * dim + j] = -1;
    pT[j * dim + j + half] = -1;
  }
  for (let j = half; j < dim; j++) {
    p[(j - half) * dim + j] = 1;
    pT[j * dim + j - half] = 1;
  }
  return { p, pT };
}

/**
 * cos and sin tables [positions, dim] for rotary embeddings: emb = cat(freqs, freqs), freqs = t * inv_freq,
 * inv_freq = 1 / theta^(2i/d) with the config's frequency scaling, if any.
 */
export function rotaryTables(
  positions: number,
  dim: number,
  theta: number,
  scaling?: RopeScaling,
): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(positions * dim);
  const sin = new Float32Array(positions * dim);
  const half = dim / 2;
  const inverse = inverseFrequencies(dim, theta, scaling);
  for (let i = 0; i < half; i++) {
    const invFreq = inverse[i]!;
    for (let t = 0; t < positions; t++) {
      // float32 like transformers' inv_freq @ position_ids
      const angle = Math.fround(t * invFreq);
      cos[t * dim + i] = cos[t * dim + i + half] = Math.cos(angle);
      sin[t * dim + i] = sin[t * dim + i + half] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * What `read` returns (values read from tensors it makes), computed in a tidy scope that frees those
 * tensors. tf.tidy walks whatever its function returns looking for tensors, with for-in over every
 * element of an array: a weight-sized Float32Array returned from it costs seconds (2048 x 2048: 3.7 s
 * against 0.2 s), so the values leave the scope by assignment and the scope returns nothing.
 */
export function readInTidy<T>(read: () => T): T {
  let out: { value: T } | undefined;
  tf.tidy(() => {
    out = { value: read() };
  });
  return out!.value;
}
