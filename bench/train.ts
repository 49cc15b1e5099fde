/**
 * Training and generation throughput of the ML engine on the reference configuration (issue 5): vocab 512,
 * hidden 256, 4 layers, 4 heads, intermediate 688, sequence 128, batch 8; LoRA r=16 on q_proj and v_proj,
 * and full fine-tuning; greedy generation with the KV cache. Args: --steps N (timed steps per mode, default 5),
 * --gen-tokens N (default 64), --modes lora,full,generate, --workers N (data-parallel gradient workers beside the main thread; default 0),
 * --warmup N (untimed steps first, default 3: worker threads' JIT takes a few steps to reach its steady pace).
 */
import { execFileSync } from 'node:child_process';
import {
  initBackend,
  LlamaModel,
  makeLlamaConfig,
  generate,
  Rng,
  Trainer,
  type TrainingExample,
} from '../src/ml/index.js';
import { withSpread, type BenchResult } from './lib.js';

const REFERENCE = {
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

export default async function (args: string[]): Promise<BenchResult> {
  const backend = await initBackend();
  const steps = Number(arg(args, '--steps', '5'));
  const genTokens = Number(arg(args, '--gen-tokens', '64'));
  const modes = arg(args, '--modes', 'lora,full,generate').split(',');
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
