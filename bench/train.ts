/**
 * Training and generation throughput of the ML engine on the reference configuration: vocab 512,
 * hidden 256, 4 layers, 4 heads, intermediate 688, sequence 128, batch 8; LoRA r=16 on q_proj and v_proj,
 * and full fine-tuning; greedy generation with the KV cache; batched generation (generateBatch: one forward
 * pass per step for every row) at batch 1, 8 and 32 on the tiny and the reference configurations (goal: batch 32
 * at least 8x the tokens/s of batch 1).
 *
 * Where PyTorch is installed (`/usr/bin/python3 -c "import torch"` works), bench/torch_train.py runs the same
 * model, batch and optimizer in PyTorch, interleaved with our runs (round by round, mode by mode), and the
 * ratios are printed: the goal is LoRA >= 0.5x and full fine-tuning >= 0.4x of PyTorch. Each training mode
 * also reports where a step's time goes (forward, backward, optimizer, data-parallel exchange, idle; see
 * StepPhases in src/ml/trainer.ts), per step, means over the timed steps (they add up to the mean step).
 *
 * Args: --steps N (timed steps per mode and round, default 5), --rounds N (default 2), --gen-tokens N
 * (default 64), --modes lora,full,generate,generate-batch, --batches 1,8,32, --batch-gen-tokens N (default 32),
 * --batch-configs tiny,reference, --workers N (data-parallel gradient workers beside the main thread; default
 * what the training worker starts: TUNELEDGER_TRAIN_WORKERS, else one per core beyond the first), --warmup N
 * (untimed steps first, default 3: worker threads' JIT takes a few steps to reach its steady pace), --torch
 * no (skip the PyTorch baseline).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  defaultGradientWorkers,
  generate,
  generateBatch,
  initBackend,
  LlamaModel,
  makeLlamaConfig,
  Rng,
  TINY_CONFIG,
  Trainer,
  type LlamaConfigInit,
  type StepPhases,
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

interface TrainSpeed extends Speed {
  readonly phases: StepPhases[];
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
): Promise<TrainSpeed> {
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
  const phases: StepPhases[] = [];
  for (let i = 0; i < steps; i++) {
    const c = cpuSeconds();
    const m = await trainer.trainStepAsync(data);
    wall.push(m.tokensPerSecond);
    cpu.push(m.tokens / (cpuSeconds() - c));
    phases.push(m.phases);
  }
  await trainer.stopWorkers();
  trainer.dispose();
  model.dispose();
  return { wall, cpu, phases };
}

/**
 * Mean milliseconds per step of each phase, this thread's and the first gradient worker's, and of the whole
 * step: means add up (the phases to the step), where medians of a load that changes between rounds need not.
 */
function phaseMetrics(mode: string, phases: readonly StepPhases[]): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, values: number[]) => {
    if (values.length > 0) out[`${mode}_step_${name}_ms`] = round1(mean(values));
  };
  const keys = ['forwardMs', 'backwardMs', 'optimizerMs', 'exchangeMs', 'idleMs', 'otherMs'] as const;
  put(
    'wall',
    phases.map((p) => keys.reduce((sum, key) => sum + p[key], 0)),
  );
  for (const key of keys)
    put(
      key.replace(/Ms$/, ''),
      phases.map((p) => p[key]),
    );
  for (const key of ['forwardMs', 'backwardMs', 'exchangeMs', 'idleMs'] as const)
    put(
      `worker_${key.replace(/Ms$/, '')}`,
      phases.flatMap((p) => (p.workers[0] ? [p.workers[0][key]] : [])),
    );
  return out;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Real tokens over the positions a padded batch computes (1: no padding). */
function paddingEfficiency(data: readonly TrainingExample[]): number {
  const inputs = data.map((e) => e.ids.length - 1);
  return inputs.reduce((a, b) => a + b, 0) / (data.length * Math.max(...inputs));
}

const TORCH_PYTHON = '/usr/bin/python3';

/** bench/torch_train.py, beside this file in the sources or two levels up from dist/bench. */
function torchScript(): string | undefined {
  for (const relative of ['./torch_train.py', '../../bench/torch_train.py']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Tokens/s of the same mode in PyTorch (bench/torch_train.py), one sample per timed step or run. */
function torchSpeed(
  mode: 'lora' | 'full' | 'generate',
  options: { steps: number; warmup: number; genTokens: number },
): Speed {
  const script = torchScript();
  if (!script) throw new Error('bench/torch_train.py is missing');
  const out = execFileSync(
    TORCH_PYTHON,
    [
      script,
      '--mode',
      mode,
      '--steps',
      String(options.steps),
      '--warmup',
      String(options.warmup),
      '--gen-tokens',
      String(options.genTokens),
    ],
    { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '2' } },
  );
  const parsed = JSON.parse(out.trim().split('\n').pop()!) as {
    results: Record<string, { tokens_per_s: number[]; tokens_per_cpu_s: number[] }>;
  };
  const result = parsed.results[mode]!;
  return { wall: result.tokens_per_s, cpu: result.tokens_per_cpu_s };
}

/** The gradient workers the training worker would start: TUNELEDGER_TRAIN_WORKERS, else its default. */
function workerDefault(backend: string): number {
  const raw = process.env.TUNELEDGER_TRAIN_WORKERS?.trim();
  if (raw && raw !== 'auto') {
    const count = Number(raw);
    if (!Number.isInteger(count) || count < 0)
      throw new Error(`TUNELEDGER_TRAIN_WORKERS="${raw}" is not a number of gradient workers`);
    return count;
  }
  return defaultGradientWorkers(backend);
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
  const workers = Number(arg(args, '--workers', String(workerDefault(backend.backend))));
  const warmup = Number(arg(args, '--warmup', '3'));
  const rounds = Number(arg(args, '--rounds', '2'));
  const torchWanted = arg(args, '--torch', 'yes') !== 'no';
  const torch = torchWanted && hasTorch();
  let metrics: Record<string, number> = {};
  const goals: string[] = [];
  // Ours and PyTorch take turns, mode by mode and round by round, so both see the same load on the machine.
  const ours = { lora: [] as number[], full: [] as number[], generate: [] as number[] };
  const oursCpu = { lora: [] as number[], full: [] as number[], generate: [] as number[] };
  const theirs = { lora: [] as number[], full: [] as number[], generate: [] as number[] };
  const theirsCpu = { lora: [] as number[], full: [] as number[], generate: [] as number[] };
  const addTorch = (mode: 'lora' | 'full' | 'generate') => {
    const speed = torchSpeed(mode, { steps, warmup: 2, genTokens });
    theirs[mode].push(...speed.wall);
    theirsCpu[mode].push(...speed.cpu);
  };
  const phases = { lora: [] as StepPhases[], full: [] as StepPhases[] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['lora', 'full'] as const) {
      if (!modes.includes(mode)) continue;
      const speed = await trainSpeed(mode, steps, workers, warmup);
      ours[mode].push(...speed.wall);
      oursCpu[mode].push(...speed.cpu);
      phases[mode].push(...speed.phases);
      if (torch) addTorch(mode);
    }
    if (modes.includes('generate')) {
      const speed = generationSpeed(genTokens, 3);
      ours.generate.push(...speed.wall);
      oursCpu.generate.push(...speed.cpu);
      if (torch) addTorch('generate');
    }
  }
  for (const mode of ['lora', 'full'] as const) {
    if (ours[mode].length === 0) continue;
    metrics = {
      ...metrics,
      ...withSpread(`${mode}_train_tokens_per_s`, ours[mode]),
      ...withSpread(`${mode}_train_tokens_per_cpu_s`, oursCpu[mode]),
      ...phaseMetrics(mode, phases[mode]),
    };
    const goal = mode === 'lora' ? 2000 : 1300;
    goals.push(
      `${mode} >= ${goal.toLocaleString('en-US')} tokens/s: ${median(ours[mode]) >= goal ? 'yes' : 'no'} (${Math.round(median(ours[mode]))})`,
    );
  }
  if (ours.generate.length > 0) {
    metrics = {
      ...metrics,
      ...withSpread('generate_kv_cache_tokens_per_s', ours.generate),
      ...withSpread('generate_kv_cache_tokens_per_cpu_s', oursCpu.generate),
    };
  }
  if (torch) {
    const wanted = { lora: 0.5, full: 0.4, generate: undefined };
    for (const mode of ['lora', 'full', 'generate'] as const) {
      if (theirs[mode].length === 0) continue;
      const ratio = median(ours[mode]) / median(theirs[mode]);
      const cpuRatio = median(oursCpu[mode]) / median(theirsCpu[mode]);
      const key = mode === 'generate' ? 'generate_kv_cache' : `${mode}_train`;
      metrics = {
        ...metrics,
        ...withSpread(`torch_${key}_tokens_per_s`, theirs[mode]),
        ...withSpread(`torch_${key}_tokens_per_cpu_s`, theirsCpu[mode]),
        [`${key}_vs_torch_ratio`]: Math.round(ratio * 1000) / 1000,
        [`${key}_vs_torch_cpu_ratio`]: Math.round(cpuRatio * 1000) / 1000,
      };
      const goal = wanted[mode];
      const figures = `${ratio.toFixed(2)}x by wall time, ${cpuRatio.toFixed(2)}x by CPU time`;
      goals.push(
        goal === undefined
          ? `${mode}: ${figures} of PyTorch`
          : `${mode} >= ${goal}x PyTorch (same run, interleaved): ${ratio >= goal ? 'yes' : 'no'} (${figures})`,
      );
    }
  }
  metrics = { ...metrics, padding_efficiency: paddingEfficiency(examples(2)) };
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
  if (torchWanted && !torch)
    goals.push(
      'no PyTorch baseline: install it with `apt-get install python3-torch libopenblas0-pthread` (bench/torch_train.py runs under /usr/bin/python3)',
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
      rounds,
      warmup,
      workers,
      torch: torch
        ? 'bench/torch_train.py (OPENBLAS_NUM_THREADS=2, torch.set_num_threads(1))'
        : torchWanted
          ? 'not installed'
          : 'skipped (--torch no)',
      genTokens,
      batchedGeneration: { configs: batchConfigs, batches, prompt: BATCH_PROMPT, tokens: batchGenTokens },
    },
    metrics,
    goals,
  };
}

function hasTorch(): boolean {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
