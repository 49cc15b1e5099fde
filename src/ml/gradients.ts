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
}

/** Loss and gradients of the model's trainable variables on one batch (training mode: LoRA dropout on). */
export function computeGradients(
  model: LlamaModel,
  batch: Batch,
  loss: LossOptions,
  rng: Rng,
  counts?: TargetCounts,
): GradientResult {
  const variables = model.trainableVariables();
  const byVariableName = new Map([...variables].map(([key, v]) => [v.name, key] as const));
  const result = tf.tidy(() => {
    let base: tf.Scalar | undefined;
    let entity: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(batch.inputs, { training: true, rng });
      const parts = causalLmLoss(logits, batch, loss, counts);
      base = tf.keep(parts.base);
      entity = tf.keep(parts.entity);
      return parts.total;
    }, [...variables.values()]);
    return { value, grads, base: base!, entity: entity! };
  });
  const out = {
    grads: new Map(Object.entries(result.grads).map(([name, g]) => [byVariableName.get(name)!, g] as const)),
    total: result.value.dataSync()[0]!,
    base: result.base.dataSync()[0]!,
    entity: result.entity.dataSync()[0]!,
  };
  tf.dispose([result.value, result.base, result.entity]);
  return out;
}
