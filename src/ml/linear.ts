import * as tf from '@tensorflow/tfjs';
import { linearFrozen, linearTrainable } from './ops.js';

/**
 * The projections of a model, x @ W^T, for weights stored transposed ([in, out]: see ops.ts). A trainable weight
 * gets gradients for itself and its input. A frozen one gets only its input's, from a copy laid out [out, in]
 * made on the first backward pass and kept, by the weight's key, until `forget` or `clear` drops it (twice
 * the weight's memory while training).
 */
export class Linear {
  private readonly transposed = new Map<string, tf.Tensor2D>();

  /** x [n, in] @ wt [in, out] for the weight `key`, stored [in, out]. */
  apply(key: string, x: tf.Tensor2D, wt: tf.Tensor2D, trainable: boolean): tf.Tensor2D {
    return trainable ? linearTrainable(x, wt) : linearFrozen(x, wt, () => this.transposeOf(key, wt));
  }

  /** x [n, in] @ w^T for a weight stored [out, in] (a tied head reads the embedding table so). */
  applyTransposed(key: string, x: tf.Tensor2D, w: tf.Tensor2D, trainable: boolean): tf.Tensor2D {
    return trainable
      ? linearTrainable(x, tf.transpose(w))
      : linearFrozen(x, this.transposeOf(key, w), () => w);
  }

  /** Drops the cached copy of `key` (its weight changed). */
  forget(key: string): void {
    this.transposed.get(key)?.dispose();
    this.transposed.delete(key);
  }

  /** Drops every cached copy. */
  clear(): void {
    for (const t of this.transposed.values()) t.dispose();
    this.transposed.clear();
  }

  private transposeOf(key: string, source: tf.Tensor2D): tf.Tensor2D {
    let t = this.transposed.get(key);
    if (!t) {
      t = tf.keep(tf.transpose(source));
      this.transposed.set(key, t);
    }
    return t;
  }
}
