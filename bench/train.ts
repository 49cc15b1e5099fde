/**
 * Training and generation throughput of the ML engine on the reference configuration (issue 5): vocab 512,
 * hidden 256, 4 layers, 4 heads, intermediate 688, sequence 128, batch 8; LoRA r=16 on q_proj and v_proj,
 * and full fine-tuning; greedy generation with the KV cache; batched generation (generateBatch: one forward
 * pass per step for every row) at batch 1, 8 and 32 on the tiny and the reference configurations (goal: batch 32
 * at least 8x the tokens/s of batch 1). Args: --steps N (timed steps per mode, default 5),
 * --gen-tokens N (default 64), --modes lora,full,generate,generate-batch, --batches 1,8,32, --batch-gen-tokens N
 * (default 32), --batch-configs tiny,reference, --workers N (data-parallel gradient workers beside the main thread; default 0),
 * --warmup N (untimed steps first, default 3: worker threads' JIT takes a few steps to reach its steady pace).
 */
import { execFileSync } from 'node:child_process';
import {
  generate,
  generateBatch,
  initBackend,
  LlamaModel,
  makeLlamaConfig,
  Rng,
  TINY_CONFIG,
  Trainer,
  type LlamaConfigInit,
  type TrainingExample,
} from '../src/ml/index.js';
import { withSpread, type BenchResult } from './lib.js';

export const REFERENCE: LlamaConfigInit = {
  vocabSize: 512,
  hiddenSize: 256,
  numLayers: 4,
  numHeads: 4,
  intermediateSize: 688,
  maxPositionEmbeddings: 512,
};
const SEQ = 128;
const BATCH = 8;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

function examples(seed: number): TrainingExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: BATCH }, () => {
    const ids = Array.from({ length: SEQ + 1 }, () => Math.floor(rng.next() * REFERENCE.vocabSize));
    // A prompt of 32 tokens, then the response the loss covers; a few entity tokens in it.
    const lossMask = ids.map((_, t) => (t >= 32 ? 1 : 0));
    const entityMask = ids.map((_, t) => (t >= 40 && t % 9 === 0 ? 1 : 0));
    return { ids, lossMask, entityMask };
  });
}

interface Speed {
  /** tokens / wall second */
  readonly wall: number[];
  /** tokens / CPU second of this process (all its threads): less sensitive to other work on the machine */
  readonly cpu: number[];
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function trainSpeed(
  mode: 'lora' | 'full',
  steps: number,
  workers: number,
  warmup: number,
): Promise<Speed> {
  const model = LlamaModel.random(makeLlamaConfig(REFERENCE), 1);
  const trainer = new Trainer(model, {
    mode,
    lora: { r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] },
    learningRate: 1e-4,
    totalSteps: steps + 1,
    seed: 1,
  });
  const data = examples(2);
  if (workers > 0) await trainer.startWorkers(workers);
  for (let i = 0; i < warmup; i++) await trainer.trainStepAsync(data);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c = cpuSeconds();
    const m = await trainer.trainStepAsync(data);
    wall.push(m.tokensPerSecond);
    cpu.push(m.tokens / (cpuSeconds() - c));
  }
  await trainer.stopWorkers();
  trainer.dispose();
  model.dispose();
  return { wall, cpu };
}

function generationSpeed(tokens: number, runs: number): Speed {
  const model = LlamaModel.random(makeLlamaConfig(REFERENCE), 1);
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 37) % 512);
  generate(model, prompt, { maxTokens: 4, stopTokenIds: [] });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const c = cpuSeconds();
    const result = generate(model, prompt, { maxTokens: tokens, stopTokenIds: [] });
    wall.push(result.tokens.length / ((performance.now() - started) / 1000));
    cpu.push(result.tokens.length / (cpuSeconds() - c));
  }
  model.dispose();
  return { wall, cpu };
}

const BATCH_PROMPT = 16;

/**
 * Sampled tokens per wall second and per CPU second of this process (every thread) of generateBatch at one
 * batch size (no stop token: every row runs). On a shared machine the wall figure follows the load; the CPU
 * figure follows the work.
 */
function batchSpeed(
  model: LlamaModel,
  batch: number,
  tokens: number,
  runs: number,
): { wall: number[]; cpu: number[] } {
  const rng = new Rng(7);
  const vocab = model.config.vocabSize;
  const input = Array.from({ length: batch }, () =>
    Array.from({ length: BATCH_PROMPT }, () => 3 + Math.floor(rng.next() * (vocab - 3))),
  );
  const options = { maxTokens: tokens, temperature: 1, stopTokenIds: [] };
  generateBatch(model, input, options, new Rng(0));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    const c = cpuSeconds();
    const result = generateBatch(model, input, options, new Rng(r));
    const produced = result.tokens.reduce((a, t) => a + t.length, 0);
    wall.push(produced / ((performance.now() - started) / 1000));
    cpu.push(produced / (cpuSeconds() - c));
  }
  return { wall, cpu };
}

/**
 * Batched generation tokens/s (prompts of 16 tokens, `genTokens` sampled each) at each batch size on each
 * configuration (tiny, reference), and the goal line: batch 32 at least 8x batch 1. bench/ppo reports them too.
 */
export function batchedGenerationFigures(options: {
  readonly configs: readonly string[];
  readonly batches: readonly number[];
  readonly genTokens: number;
  readonly runs: number;
}): { metrics: Record<string, number>; goals: string[] } {
  const known: Record<string, LlamaConfigInit> = { tiny: TINY_CONFIG, reference: REFERENCE };
  let metrics: Record<string, number> = {};
  const goals: string[] = [];
  for (const name of options.configs) {
    const init = known[name];
    if (!init) throw new Error(`unknown configuration "${name}": tiny or reference`);
    const model = LlamaModel.random(makeLlamaConfig(init), 1);
    const medians = new Map<number, { wall: number; cpu: number }>();
    for (const batch of options.batches) {
      const speeds = batchSpeed(model, batch, options.genTokens, options.runs);
      medians.set(batch, { wall: median(speeds.wall), cpu: median(speeds.cpu) });
      metrics = {
        ...metrics,
        ...withSpread(`${name}_generate_batch${batch}_tokens_per_s`, speeds.wall),
        ...withSpread(`${name}_generate_batch${batch}_tokens_per_cpu_s`, speeds.cpu),
      };
    }
    model.dispose();
    const one = medians.get(1);
    const most = medians.get(32);
    if (one !== undefined && most !== undefined)
      goals.push(
        `${name}: batch 32 >= 8x batch 1 tokens/s: ${most.wall >= 8 * one.wall ? 'yes' : 'no'} (${(most.wall / one.wall).toFixed(1)}x; per CPU second ${(most.cpu / one.cpu).toFixed(1)}x)`,
      );
  }
  return { metrics, goals };
}

export default async function (args: string[]): Promise<BenchResult> {
  const backend = await initBackend();
  const steps = Number(arg(args, '--steps', '5'));
  const genTokens = Number(arg(args, '--gen-tokens', '64'));
  const modes = arg(args, '--modes', 'lora,full,generate,generate-batch').split(',');
  const batches = arg(args, '--batches', '1,8,32').split(',').map(Number);
  const batchGenTokens = Number(arg(args, '--batch-gen-tokens', '32'));
  const batchConfigs = arg(args, '--batch-configs', 'tiny,reference').split(',');
  const workers = Number(arg(args, '--workers', '0'));
  const warmup = Number(arg(args, '--warmup', '3'));
  let metrics: Record<string, number> = {};
  const goals: string[] = [];
  for (const mode of ['lora', 'full'] as const) {
    if (!modes.includes(mode)) continue;
    const speed = await trainSpeed(mode, steps, workers, warmup);
    metrics = {
      ...metrics,
      ...withSpread(`${mode}_train_tokens_per_s`, speed.wall),
      ...withSpread(`${mode}_train_tokens_per_cpu_s`, speed.cpu),
    };
    const goal = mode === 'lora' ? 2000 : 1300;
    goals.push(
      `${mode} >= ${goal.toLocaleString('en-US')} tokens/s: ${median(speed.wall) >= goal ? 'yes' : 'no'} (${Math.round(median(speed.wall))})`,
    );
  }
  if (modes.includes('generate')) {
    const speed = generationSpeed(genTokens, 3);
    metrics = {
      ...metrics,
      ...withSpread('generate_kv_cache_tokens_per_s', speed.wall),
      ...withSpread('generate_kv_cache_tokens_per_cpu_s', speed.cpu),
    };
  }
  if (modes.includes('generate-batch')) {
    const figures = batchedGenerationFigures({
      configs: batchConfigs,
      batches,
      genTokens: batchGenTokens,
      runs: 3,
    });
    metrics = { ...metrics, ...figures.metrics };
    goals.push(...figures.goals);
  }
  if (hasTorch())
    goals.push(
      'python3-torch is installed: compare with the same configuration in PyTorch (not automated here)',
    );
  goals.push('measured on a 2-core machine shared with other work: numbers are noisy');
  return {
    name: 'train',
    backend: `${backend.backend} (${backend.device})`,
    inputs: {
      ...REFERENCE,
      sequence: SEQ,
      batch: BATCH,
      lora: { r: 16, alpha: 32, targets: ['q_proj', 'v_proj'] },
      steps,
      warmup,
      workers,
      genTokens,
      batchedGeneration: { configs: batchConfigs, batches, prompt: BATCH_PROMPT, tokens: batchGenTokens },
    },
    metrics,
    goals,
  };
}

function hasTorch(): boolean {
  try {
    execFileSync('python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
