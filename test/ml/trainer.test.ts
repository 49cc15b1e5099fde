import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  causalLmLoss,
  initBackend,
  LlamaModel,
  makeBatch,
  Trainer,
  type TrainerOptions,
  type TrainingExample,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

const data: TrainingExample[] = [
  { ids: [1, 3, 5, 7, 9, 11], lossMask: [0, 0, 1, 1, 1, 1], entityMask: [0, 0, 0, 1, 0, 0] },
  { ids: [1, 4, 6, 8, 10, 12], lossMask: [0, 0, 1, 1, 1, 1], entityMask: [0, 0, 0, 0, 1, 1] },
  { ids: [1, 13, 14, 15, 16, 17], lossMask: [0, 0, 1, 1, 1, 1] },
  { ids: [1, 2, 18, 2, 18, 2], lossMask: [0, 1, 1, 1, 1, 1], entityMask: [0, 0, 1, 0, 1, 0] },
];
const lora: TrainerOptions = {
  mode: 'lora',
  lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'down_proj'] },
  learningRate: 1e-2,
  warmupSteps: 2,
  totalSteps: 30,
  seed: 5,
};
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'tl-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(trainer: Trainer): Map<string, Float32Array> {
  return new Map(
    [...trainer.model.trainableVariables()].map(
      ([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)] as const,
    ),
  );
}

describe('Trainer', () => {
  it('LoRA training lowers the loss and trains only the adapter', () => {
    // Larger than the 0.02 default so the frozen head passes the adapter's changes on to the logits.
    const model = LlamaModel.random(config, 1, 0.3);
    const baseBefore = model.toTensors();
    const trainer = new Trainer(model, lora);
    const seen: number[] = [];
    trainer.onStep = (m) => seen.push(m.step);
    const first = trainer.evaluate(data).loss;
    for (let i = 0; i < 25; i++) trainer.trainStep(data);
    expect(trainer.evaluate(data).loss).toBeLessThan(first - 0.3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(model.toTensors()).toEqual(baseBefore);
    expect([...model.trainableVariables().keys()].every((k) => k.includes('.lora_'))).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('full fine-tuning lowers the loss; step metrics are consistent', () => {
    const model = LlamaModel.random(config, 2);
    const trainer = new Trainer(model, { mode: 'full', learningRate: 3e-3, totalSteps: 20, seed: 1 });
    const first = trainer.trainStep(data);
    expect(first.learningRate).toBeCloseTo(3e-3, 12);
    expect(first.tokens).toBe(4 * 5);
    expect(first.loss).toBeCloseTo(0.7 * first.baseLoss + 0.3 * first.entityLoss, 5);
    expect(first.gradNorm).toBeGreaterThan(0);
    // One thread: the step's wall time is its passes, the optimizer and the rest; no exchange, no workers.
    const phases = first.phases;
    expect(phases.forwardMs).toBeGreaterThan(0);
    expect(phases.backwardMs).toBeGreaterThan(0);
    expect(phases.optimizerMs).toBeGreaterThan(0);
    expect(phases.exchangeMs).toBe(0);
    expect(phases.idleMs).toBe(0);
    expect(phases.workers).toEqual([]);
    const wallMs = (first.tokens / first.tokensPerSecond) * 1000;
    expect(phases.forwardMs + phases.backwardMs + phases.optimizerMs + phases.otherMs).toBeCloseTo(wallMs, 3);
    let last = first;
    for (let i = 0; i < 15; i++) last = trainer.trainStep(data);
    expect(last.loss).toBeLessThan(first.loss - 0.5);
    trainer.dispose();
    model.dispose();
  });

  it('first AdamW step moves each weight by lr * g / (|g| + eps) against its gradient', () => {
    const model = LlamaModel.random(config, 3);
    const trainer = new Trainer(model, {
      mode: 'full',
      learningRate: 1e-3,
      totalSteps: 10,
      maxGradNorm: null,
      loss: { kind: 'cross-entropy' },
      epsilon: 1e-8,
    });
    const vars = model.trainableVariables();
    const batch = makeBatch(data);
    const byName = new Map([...vars].map(([k, v]) => [v.name, k] as const));
    const { value, grads } = tf.variableGrads(
      () => causalLmLoss(model.forward(batch.inputs).logits, batch, { kind: 'cross-entropy' }).total,
      [...vars.values()],
    );
    const g = new Map(
      Object.entries(grads).map(
        ([n, t]) => [byName.get(n)!, Float32Array.from(t.dataSync() as Float32Array)] as const,
      ),
    );
    tf.dispose([value, ...Object.values(grads)]);
    const before = snapshot(trainer);
    trainer.trainStep(data);
    const after = snapshot(trainer);
    for (const name of [
      'model.layers.1.self_attn.q_proj.weight',
      'model.embed_tokens.weight',
      'model.norm.weight',
    ]) {
      const gi = g.get(name)!;
      for (const i of [0, 7, 13]) {
        // With bias correction, m_hat = g and v_hat = g^2 after one step.
        const expected = before.get(name)![i]! - (1e-3 * gi[i]!) / (Math.abs(gi[i]!) + 1e-8);
        expect(after.get(name)![i]).toBeCloseTo(expected, 6);
      }
    }
    trainer.dispose();
    model.dispose();
  });

  it('is reproducible with a seed and resumes from a saved state exactly', () => {
    const straightModel = LlamaModel.random(config, 4);
    const straight = new Trainer(straightModel, lora);
    for (let i = 0; i < 4; i++) straight.trainStep(data);

    const firstModel = LlamaModel.random(config, 4);
    const first = new Trainer(firstModel, lora);
    first.trainStep(data);
    first.trainStep(data);
    first.saveState(join(dir, 'ckpt'));
    first.dispose();
    firstModel.dispose();

    const resumedModel = LlamaModel.random(config, 4);
    const resumed = new Trainer(resumedModel, lora);
    resumed.loadState(join(dir, 'ckpt'));
    expect(resumed.step).toBe(2);
    resumed.trainStep(data);
    const last = resumed.trainStep(data);
    expect(last.step).toBe(4);
    expect(snapshot(resumed)).toEqual(snapshot(straight));
    for (const t of [straight, resumed]) t.dispose();
    straightModel.dispose();
    resumedModel.dispose();
  });

  it('gradient accumulation over two halves equals one batch when the halves have equal target counts', () => {
    const run = (accumulation: number) => {
      const model = LlamaModel.random(config, 6);
      const trainer = new Trainer(model, {
        ...lora,
        lora: { ...lora.lora!, dropout: 0 },
        gradientAccumulation: accumulation,
        loss: { kind: 'cross-entropy' },
      });
      const examples = [data[0]!, data[2]!, data[1]!, { ...data[2]!, ids: [1, 5, 4, 3, 2, 1] }];
      const m = trainer.trainStep(examples);
      const snap = snapshot(trainer);
      trainer.dispose();
      model.dispose();
      return { m, snap };
    };
    const one = run(1);
    const two = run(2);
    expect(two.m.loss).toBeCloseTo(one.m.loss, 5);
    expect(two.m.gradNorm).toBeCloseTo(one.m.gradNorm, 4);
    for (const [k, v] of one.snap) {
      const w = two.snap.get(k)!;
      expect(Math.max(...v.map((x, i) => Math.abs(x - w[i]!)))).toBeLessThan(1e-5);
    }
  });

  it('keeps the live tensor count flat across training steps', () => {
    const model = LlamaModel.random(config, 7);
    const trainer = new Trainer(model, { ...lora, totalSteps: 100 });
    trainer.trainStep(data);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) trainer.trainStep(data);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });
});
