import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay; norm weights (1-D) are not decayed, as the usual transformers parameter groups. */
  readonly weightDecay: number;
  /** Clip the global gradient norm to this (torch.nn.utils.clip_grad_norm_); null: no clipping. */
  readonly maxGradNorm: number | null;
}

/** The first and second moment estimates of one variable (exp_avg and exp_avg_sq in PyTorch's state). */
export interface Moments {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
}

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay), after clipping the gradients' global norm as
 * clip_grad_norm_ does. Holds a pair of moments per variable key.
 */
export class AdamW {
  private readonly moments = new Map<string, Moments>();

  constructor(
    variables: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
  ) {
    for (const [key, variable] of variables) {
      this.moments.set(key, {
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      });
    }
  }

  /** The moments of a variable, by its key (for saving and restoring an optimizer state). */
  momentsOf(key: string): Moments | undefined {
    return this.moments.get(key);
  }

  /**
   * Update `step` (1 for the first) with learning rate `lr` on the gradient sums of `parts` micro-batches
   * (averaged here); returns the global norm before clipping.
   */
  update(
    variables: ReadonlyMap<string, tf.Variable>,
    sums: ReadonlyMap<string, tf.Tensor>,
    parts: number,
    lr: number,
    step: number,
  ): number {
    const o = this.options;
    return tf.tidy(() => {
      const grads = new Map([...sums].map(([k, g]) => [k, parts === 1 ? g : tf.div(g, parts)] as const));
      const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      const norm = Math.sqrt(squares.length > 0 ? tf.addN(squares).dataSync()[0]! : 0);
      // torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when the norm exceeds max.
      const clip = o.maxGradNorm !== null && norm > o.maxGradNorm ? o.maxGradNorm / (norm + 1e-6) : 1;
      const bc1 = 1 - o.beta1 ** step;
      const bc2 = 1 - o.beta2 ** step;
      for (const [key, variable] of variables) {
        let g = grads.get(key);
        if (!g) continue;
        if (clip !== 1) g = tf.mul(g, clip);
        const { m, v } = this.moments.get(key)!;
        m.assign(tf.add(tf.mul(m, o.beta1), tf.mul(g, 1 - o.beta1)));
        v.assign(tf.add(tf.mul(v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)));
        const decay =
          o.weightDecay > 0 && variable.rank > 1 ? tf.mul(variable, 1 - lr * o.weightDecay) : variable;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), o.epsilon);
        variable.assign(tf.sub(decay, tf.mul(tf.div(m, denom), lr / bc1)));
      }
      return norm;
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
