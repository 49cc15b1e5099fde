import * as tf from '@tensorflow/tfjs';
import { causalLmLoss, type Batch, type LossOptions, type TargetCounts } from './loss.js';
import type { LlamaModel } from './model.js';
import type { Rng } from './rng.js';

export interface GradientResult {
  /** Gradients by trainable-variable key (adapter PEFT keys or HF weight names), stored layout. */
  readonly grads: Map<string, tf.Tensor>;
  readonly total: number;
  readonly base: number;
  readonly entity: number;
  /** Milliseconds in the forward pass (the loss included) and in the backward pass. */
  readonly time: PassTimes;
}

/**
 * Wall time of the two passes of one gradient computation, in milliseconds. Taken at the pass boundaries
 * with no sync added: the wasm and cpu backends run every kernel on the calling thread before the op returns.
 */
export interface PassTimes {
  readonly forwardMs: number;
  readonly backwardMs: number;
}

/**
 * Gradients of the scalar `loss` for `variables`, by their trainable keys (adapter PEFT keys, HF weight
 * names), with the loss and the `extra` tensors the loss function kept beside it read out as numbers.
 * Everything else the loss function made is freed. The one pattern behind every training objective here.
 */
export function gradientsByKey<Extra extends string>(
  variables: ReadonlyMap<string, tf.Variable>,
  lossFn: () => { readonly loss: tf.Scalar; readonly extra: Readonly<Record<Extra, tf.Tensor>> },
): {
  grads: Map<string, tf.Tensor>;
  loss: number;
  extra: Record<Extra, Float32Array>;
  time: PassTimes;
} {
  const byVariableName = new Map([...variables].map(([key, v]) => [v.name, key] as const));
  const started = performance.now();
  let forwardDone = started;
  const result = tf.tidy(() => {
    let extra: Readonly<Record<Extra, tf.Tensor>> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const parts = lossFn();
      extra = parts.extra;
      for (const tensor of Object.values<tf.Tensor>(parts.extra)) tf.keep(tensor);
      forwardDone = performance.now();
      return parts.loss;
    }, [...variables.values()]);
    return { value, grads, extra: extra! };
  });
  const time = { forwardMs: forwardDone - started, backwardMs: performance.now() - forwardDone };
  const extra = Object.fromEntries(
    Object.entries<tf.Tensor>(result.extra).map(([name, tensor]) => [
      name,
      Float32Array.from(tensor.dataSync()),
    ]),
  ) as Record<Extra, Float32Array>;
  const out = {
    grads: new Map(Object.entries(result.grads).map(([name, g]) => [byVariableName.get(name)!, g] as const)),
    loss: result.value.dataSync()[0]!,
    extra,
    time,
  };
  tf.dispose([result.value, ...Object.values<tf.Tensor>(result.extra)]);
  return out;
}

/** Loss and gradients of the model's trainable variables on one batch (training mode: LoRA dropout on). */
export function computeGradients(
  model: LlamaModel,
  batch: Batch,
  loss: LossOptions,
  rng: Rng,
  counts?: TargetCounts,
): GradientResult {
  const result = gradientsByKey(model.trainableVariables(), () => {
    const { logits } = model.forward(batch.inputs, { training: true, rng });
    const parts = causalLmLoss(logits, batch, loss, counts);
    return { loss: parts.total, extra: { base: parts.base, entity: parts.entity } };
  });
  return {
    grads: result.grads,
    total: result.loss,
    base: result.extra.base[0]!,
    entity: result.extra.entity[0]!,
    time: result.time,
  };
}
