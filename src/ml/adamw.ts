import * as tf from '@tensorflow/tfjs';
import { adamWStepWasm, type AdamWScalars } from './adamwWasm.js';

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
 * One AdamW step of one variable by tfjs ops (any backend): the new weight, first and second moments, each op
 * rounding to float32. The wasm kernel (adamwWasm.ts) computes the same bits in one pass.
 */
export function adamWStepOps(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  s: AdamWScalars,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const g = s.clip !== 1 ? tf.mul(grad, s.clip) : grad;
  const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, s.oneMinusBeta1));
  const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), s.oneMinusBeta2));
  const decayed = s.decay !== 1 ? tf.mul(param, s.decay) : param;
  const denom = tf.add(tf.div(tf.sqrt(v1), s.sqrtBias2), s.epsilon);
  return { param: tf.sub(decayed, tf.mul(tf.div(m1, denom), s.stepSize)), m: m1, v: v1 };
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
        const g = grads.get(key);
        if (!g) continue;
        const { m, v } = this.moments.get(key)!;
        const scalars: AdamWScalars = {
          clip,
          beta1: o.beta1,
          oneMinusBeta1: 1 - o.beta1,
          beta2: o.beta2,
          oneMinusBeta2: 1 - o.beta2,
          decay: o.weightDecay > 0 && variable.rank > 1 ? 1 - lr * o.weightDecay : 1,
          sqrtBias2: Math.sqrt(bc2),
          epsilon: o.epsilon,
          stepSize: lr / bc1,
        };
        // On wasm one pass per variable, with the same float32 roundings as the ops.
        const next = adamWStepWasm(variable, g, m, v, scalars) ?? adamWStepOps(variable, g, m, v, scalars);
        m.assign(next.m);
        v.assign(next.v);
        variable.assign(next.param);
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
