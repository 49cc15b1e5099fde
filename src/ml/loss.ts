import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { tokenCrossEntropy } from './ops.js';

/** One training sequence: token ids with per-token masks aligned to `ids`. */
export interface TrainingExample {
  readonly ids: readonly number[];
  /** 1 where token t is a target the loss learns to predict (response tokens), 0 elsewhere (prompt, padding). */
  readonly lossMask: readonly number[];
  /** 1 where token t belongs to an entity (names, numbers...) whose errors weigh extra. Optional. */
  readonly entityMask?: readonly number[];
}

export const lossOptionsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('entity-weighted'),
    baseWeight: z.number().min(0).default(0.7),
    entityWeight: z.number().min(0).default(0.3),
  }),
  z.object({ kind: z.literal('cross-entropy') }),
]);
export type LossOptions = z.infer<typeof lossOptionsSchema>;
export const DEFAULT_LOSS: LossOptions = { kind: 'entity-weighted', baseWeight: 0.7, entityWeight: 0.3 };

/** A padded batch: inputs predict the next token; target masks are shifted to line up with the logits. */
export interface Batch {
  readonly inputs: number[][];
  readonly targets: Int32Array;
  readonly lossWeights: Float32Array;
  readonly entityWeights: Float32Array;
  /** Positions the model processed (batch x input length). */
  readonly tokens: number;
  /** Positions with a target in the loss. */
  readonly targetTokens: number;
}

/** Pads examples to one length with `padId`; position t of the logits predicts token t + 1. */
export function makeBatch(examples: readonly TrainingExample[], padId = 0): Batch {
  if (examples.length === 0) throw new Error('a batch needs at least one example');
  const length = Math.max(...examples.map((e) => e.ids.length));
  if (length < 2) throw new Error('training examples need at least two tokens (an input and a target)');
  const width = length - 1;
  const inputs: number[][] = [];
  const targets = new Int32Array(examples.length * width);
  const lossWeights = new Float32Array(examples.length * width);
  const entityWeights = new Float32Array(examples.length * width);
  let targetTokens = 0;
  examples.forEach((example, b) => {
    if (
      example.lossMask.length !== example.ids.length ||
      (example.entityMask && example.entityMask.length !== example.ids.length)
    ) {
      throw new Error(
        `example ${b}: lossMask and entityMask must have one entry per token (${example.ids.length})`,
      );
    }
    const row: number[] = [];
    for (let t = 0; t < width; t++) {
      row.push(t < example.ids.length ? example.ids[t]! : padId);
      const next = t + 1;
      if (next < example.ids.length) {
        targets[b * width + t] = example.ids[next]!;
        const inLoss = example.lossMask[next] ? 1 : 0;
        lossWeights[b * width + t] = inLoss;
        // Entity tokens count only where they are also targets: prompt entities are not learned.
        entityWeights[b * width + t] = inLoss && example.entityMask?.[next] ? 1 : 0;
        targetTokens += inLoss;
      }
    }
    inputs.push(row);
  });
  return { inputs, targets, lossWeights, entityWeights, tokens: examples.length * width, targetTokens };
}

/**
 * Target and entity-target token counts that normalise the loss. A data-parallel shard passes the counts of
 * the whole batch, so the shards' losses and gradients add up to the whole batch's.
 */
export interface TargetCounts {
  readonly lossCount: number;
  readonly entityCount: number;
}

export function targetCounts(batch: Batch): TargetCounts {
  return {
    lossCount: batch.lossWeights.reduce((a, b) => a + b, 0),
    entityCount: batch.entityWeights.reduce((a, b) => a + b, 0),
  };
}

export interface LossParts {
  readonly total: tf.Scalar;
  /** Mean cross-entropy over target tokens. */
  readonly base: tf.Scalar;
  /** Mean cross-entropy over entity target tokens (0 when the batch has none). */
  readonly entity: tf.Scalar;
}

/**
 * Masked next-token cross-entropy. Entity-weighted: total = baseWeight * base + entityWeight * entity; a
 * batch without entity tokens uses total = base, so its loss keeps the same scale.
 */
export function causalLmLoss(
  logits: tf.Tensor2D,
  batch: Batch,
  options: LossOptions = DEFAULT_LOSS,
  counts?: TargetCounts,
): LossParts {
  const ce = tokenCrossEntropy(logits, batch.targets);
  const { lossCount, entityCount } = counts ?? targetCounts(batch);
  if (lossCount === 0)
    throw new Error('the batch has no target tokens: every lossMask entry after the first token is 0');
  const base = tf.div(tf.sum(tf.mul(ce, tf.tensor1d(batch.lossWeights))), lossCount) as tf.Scalar;
  const entity = (
    entityCount > 0 ? tf.div(tf.sum(tf.mul(ce, tf.tensor1d(batch.entityWeights))), entityCount) : tf.scalar(0)
  ) as tf.Scalar;
  if (options.kind === 'cross-entropy' || entityCount === 0) return { total: base, base, entity };
  const total = tf.add(tf.mul(base, options.baseWeight), tf.mul(entity, options.entityWeight)) as tf.Scalar;
  return { total, base, entity };
}
