import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOSS, causalLmLoss, lossOptionsSchema, makeBatch, targetCounts } from '../../src/ml/loss.js';

/** Cross-entropy of one row of logits against a target, computed by hand in float64. */
function crossEntropy(row: readonly number[], target: number): number {
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0)) + max;
  return logSum - row[target]!;
}

describe('makeBatch', () => {
  it('shifts the masks so that position t weighs the prediction of token t + 1', () => {
    const batch = makeBatch([{ ids: [5, 6, 7, 8], lossMask: [0, 0, 1, 1], entityMask: [0, 0, 0, 1] }]);
    expect(batch.inputs).toEqual([[5, 6, 7]]);
    expect([...batch.targets]).toEqual([6, 7, 8]);
    expect([...batch.lossWeights]).toEqual([0, 1, 1]);
    expect([...batch.entityWeights]).toEqual([0, 0, 1]);
    expect(batch.targetTokens).toBe(2);
  });

  it('an entity in the prompt (outside the loss mask) is never an entity target', () => {
    const batch = makeBatch([{ ids: [1, 2, 3, 4], lossMask: [0, 0, 0, 1], entityMask: [1, 1, 1, 1] }]);
    expect([...batch.entityWeights]).toEqual([0, 0, 1]);
  });

  it('pads shorter examples with padId and keeps their padding out of the loss', () => {
    const batch = makeBatch(
      [
        { ids: [1, 2, 3, 4], lossMask: [0, 1, 1, 1] },
        { ids: [4, 5], lossMask: [0, 1] },
      ],
      9,
    );
    expect(batch.inputs).toEqual([
      [1, 2, 3],
      [4, 5, 9],
    ]);
    expect([...batch.lossWeights]).toEqual([1, 1, 1, 1, 0, 0]);
    expect(batch.tokens).toBe(6);
    expect(batch.targetTokens).toBe(4);
  });

  it('pads with token 0 unless told otherwise, and a padded position has no target', () => {
    const batch = makeBatch([
      { ids: [7, 8, 9], lossMask: [1, 1, 1], entityMask: [1, 1, 1] },
      { ids: [3, 4], lossMask: [1, 1], entityMask: [1, 1] },
    ]);
    expect(batch.inputs).toEqual([
      [7, 8],
      [3, 4],
    ]);
    expect([...batch.targets]).toEqual([8, 9, 4, 0]);
    expect([...batch.lossWeights]).toEqual([1, 1, 1, 0]);
    expect([...batch.entityWeights]).toEqual([1, 1, 1, 0]);
    expect(batch.targetTokens).toBe(3);
  });

  it('refuses an empty batch, examples shorter than two tokens and masks of another length', () => {
    expect(() => makeBatch([])).toThrow(/at least one example/);
    expect(() => makeBatch([{ ids: [1], lossMask: [1] }])).toThrow(/at least two tokens/);
    expect(() => makeBatch([{ ids: [1, 2], lossMask: [0, 1, 1] }])).toThrow(
      /example 0: lossMask and entityMask must have one entry per token \(2\)/,
    );
    expect(() =>
      makeBatch([
        { ids: [1, 2], lossMask: [0, 1] },
        { ids: [1, 2, 3], lossMask: [0, 1, 1], entityMask: [0, 1] },
      ]),
    ).toThrow(/example 1: .* \(3\)/);
  });

  it('counts the loss and entity targets of a batch', () => {
    const batch = makeBatch([
      { ids: [1, 2, 3, 4], lossMask: [0, 1, 1, 1], entityMask: [0, 1, 0, 1] },
      { ids: [5, 6], lossMask: [0, 1] },
    ]);
    expect(targetCounts(batch)).toEqual({ lossCount: 4, entityCount: 2 });
  });
});

describe('lossOptionsSchema', () => {
  it('fills in the entity-weighted defaults (0.7 and 0.3) and refuses negative weights', () => {
    expect(lossOptionsSchema.parse({ kind: 'entity-weighted' })).toEqual({
      kind: 'entity-weighted',
      baseWeight: 0.7,
      entityWeight: 0.3,
    });
    expect(
      lossOptionsSchema.parse({ kind: 'entity-weighted', baseWeight: 0, entityWeight: 0 }),
    ).toMatchObject({
      baseWeight: 0,
      entityWeight: 0,
    });
    expect(lossOptionsSchema.safeParse({ kind: 'entity-weighted', baseWeight: -0.1 }).success).toBe(false);
    expect(lossOptionsSchema.safeParse({ kind: 'entity-weighted', entityWeight: -1 }).success).toBe(false);
  });

  it('takes plain cross-entropy, refuses another kind, and the default loss is the schema default', () => {
    expect(lossOptionsSchema.parse({ kind: 'cross-entropy' })).toEqual({ kind: 'cross-entropy' });
    expect(lossOptionsSchema.safeParse({ kind: 'focal' }).success).toBe(false);
    expect(lossOptionsSchema.safeParse({}).success).toBe(false);
    expect(DEFAULT_LOSS).toEqual(lossOptionsSchema.parse({ kind: 'entity-weighted' }));
  });
});

describe('causalLmLoss', () => {
  const DEFAULT = { kind: 'entity-weighted', baseWeight: 0.7, entityWeight: 0.3 } as const;
  const logitRows = [
    [0.5, -1, 2, 0.1],
    [1.5, 0.3, -0.7, 0.2],
    [-0.4, 0.9, 0.0, 1.1],
  ];
  const example = { ids: [0, 2, 1, 3], lossMask: [0, 1, 1, 1], entityMask: [0, 0, 1, 0] };
  const handCe = [
    crossEntropy(logitRows[0]!, 2),
    crossEntropy(logitRows[1]!, 1),
    crossEntropy(logitRows[2]!, 3),
  ];

  it('entity-weighted: 0.7 x mean over targets + 0.3 x mean over entity targets, by hand', () => {
    const parts = causalLmLoss(tf.tensor2d(logitRows), makeBatch([example]));
    const base = (handCe[0]! + handCe[1]! + handCe[2]!) / 3;
    const entity = handCe[1]!;
    expect(parts.base.dataSync()[0]).toBeCloseTo(base, 5);
    expect(parts.entity.dataSync()[0]).toBeCloseTo(entity, 5);
    expect(parts.total.dataSync()[0]).toBeCloseTo(0.7 * base + 0.3 * entity, 5);
  });

  it('a prompt entity changes neither the entity loss nor the total', () => {
    const promptEntity = { ...example, entityMask: [1, 1, 1, 0], lossMask: [0, 0, 1, 1] };
    const parts = causalLmLoss(tf.tensor2d(logitRows), makeBatch([promptEntity]));
    const base = (handCe[1]! + handCe[2]!) / 2;
    expect(parts.entity.dataSync()[0]).toBeCloseTo(handCe[1]!, 5);
    expect(parts.total.dataSync()[0]).toBeCloseTo(0.7 * base + 0.3 * handCe[1]!, 5);
  });

  it('plain cross-entropy ignores the entity weights; a batch without entities keeps the base scale', () => {
    const base = (handCe[0]! + handCe[1]! + handCe[2]!) / 3;
    const plain = causalLmLoss(tf.tensor2d(logitRows), makeBatch([example]), { kind: 'cross-entropy' });
    expect(plain.total.dataSync()[0]).toBeCloseTo(base, 5);
    const noEntities = causalLmLoss(
      tf.tensor2d(logitRows),
      makeBatch([{ ids: example.ids, lossMask: example.lossMask }]),
    );
    expect(noEntities.total.dataSync()[0]).toBeCloseTo(base, 5);
    expect(noEntities.entity.dataSync()[0]).toBe(0);
  });

  it('entity-weighted with weights of its own: baseWeight x base + entityWeight x entity', () => {
    const parts = causalLmLoss(tf.tensor2d(logitRows), makeBatch([example]), {
      kind: 'entity-weighted',
      baseWeight: 0.25,
      entityWeight: 2,
    });
    const base = (handCe[0]! + handCe[1]! + handCe[2]!) / 3;
    expect(parts.total.dataSync()[0]).toBeCloseTo(0.25 * base + 2 * handCe[1]!, 5);
  });

  it("a shard given the whole batch's counts: the shards' losses add up to the whole batch's", () => {
    const second = { ids: [3, 0, 2, 1], lossMask: [0, 0, 1, 1], entityMask: [0, 0, 0, 1] };
    const secondRows = [
      [0.2, 0.1, -0.3, 0.4],
      [1.0, -2.0, 0.5, 0.0],
      [0.3, 0.6, -0.1, -0.9],
    ];
    const whole = makeBatch([example, second]);
    const counts = targetCounts(whole);
    const all = causalLmLoss(tf.tensor2d([...logitRows, ...secondRows]), whole);
    const shards = [
      causalLmLoss(tf.tensor2d(logitRows), makeBatch([example]), DEFAULT, counts),
      causalLmLoss(tf.tensor2d(secondRows), makeBatch([second]), DEFAULT, counts),
    ];
    for (const part of ['base', 'entity', 'total'] as const) {
      const summed = shards[0]![part].dataSync()[0]! + shards[1]![part].dataSync()[0]!;
      expect(summed).toBeCloseTo(all[part].dataSync()[0]!, 5);
    }
    // By hand: 5 targets, 2 entity targets over both examples.
    const secondCe = [crossEntropy(secondRows[1]!, 2), crossEntropy(secondRows[2]!, 1)];
    const base = (handCe[0]! + handCe[1]! + handCe[2]! + secondCe[0]! + secondCe[1]!) / 5;
    const entity = (handCe[1]! + secondCe[1]!) / 2;
    expect(all.total.dataSync()[0]).toBeCloseTo(0.7 * base + 0.3 * entity, 5);
  });

  it('refuses a batch with no target tokens', () => {
    expect(() => causalLmLoss(tf.tensor2d([[0, 1]]), makeBatch([{ ids: [0, 1], lossMask: [1, 0] }]))).toThrow(
      /no target tokens/,
    );
  });
});
