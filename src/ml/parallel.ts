import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LlamaConfigJson } from './config.js';
import type { LoraOptions } from './lora.js';
import type { PassTimes } from './gradients.js';
import type { LossOptions, TargetCounts, TrainingExample } from './loss.js';
import type { HostTensor } from './safetensors.js';

/** What a gradient worker builds its copy of the model from. */
export interface WorkerSetup {
  readonly configJson: LlamaConfigJson;
  /** Base weights in Hugging Face layout. */
  readonly base: [string, HostTensor][];
  readonly mode: 'lora' | 'full';
  readonly lora?: LoraOptions;
  /** tfjs backend for the worker (TUNELEDGER_TF_BACKEND spelling); default: the usual preference. */
  readonly backend?: string;
}

export interface ShardRequest {
  /** Current values of the trainable variables (stored layout), by key. */
  readonly trainable: [string, Float32Array][];
  readonly examples: readonly TrainingExample[];
  readonly padId: number;
  readonly loss: LossOptions;
  readonly counts: TargetCounts;
  /** Seed of the shard's dropout masks. */
  readonly seed: number;
}

export interface ShardResult {
  readonly grads: [string, Float32Array][];
  readonly total: number;
  readonly base: number;
  readonly entity: number;
  /** The worker's busy time: its passes, and the exchange (loading the weights, reading out the gradients). */
  readonly time: PassTimes & { readonly exchangeMs: number };
}

type Reply = { ok: true; result?: ShardResult } | { ok: false; error: string };

/**
 * Data-parallel gradient workers: each worker_thread holds its own tfjs backend and model copy and computes
 * the gradients of one shard of a batch. Under Node the wasm backend is single-threaded, so this is what
 * puts a second core to work.
 */
export class GradientWorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /**
   * Starts `count` workers from `entry` (default: the compiled gradientWorker.js beside this module) and
   * sends each the setup.
   */
  static async start(count: number, setup: WorkerSetup, entry?: string | URL): Promise<GradientWorkerPool> {
    const url = gradientWorkerUrl(entry);
    if (!existsSync(fileURLToPath(url))) {
      throw new Error(
        `gradient workers need the compiled engine (${fileURLToPath(url)} is missing): run \`npm run build\` and use dist/, or train without workers`,
      );
    }
    const workers = Array.from({ length: count }, () => new Worker(url, { execArgv: [] }));
    const pool = new GradientWorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => call(w, { kind: 'setup', setup })));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Sends one shard to each worker (at most `size`) and collects their gradients in order. */
  async compute(shards: readonly ShardRequest[]): Promise<ShardResult[]> {
    if (shards.length > this.workers.length)
      throw new Error(`${shards.length} shards for ${this.workers.length} workers`);
    const replies = await Promise.all(
      shards.map((shard, i) => call(this.workers[i]!, { kind: 'shard', shard })),
    );
    return replies.map((r) => r!);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/** Where the gradient worker's script is: `entry` (a path or URL), or gradientWorker.js beside this module. */
export function gradientWorkerUrl(entry?: string | URL): URL {
  if (entry === undefined) return new URL('./gradientWorker.js', import.meta.url);
  return typeof entry === 'string' ? pathToFileURL(entry) : entry;
}

/**
 * How many gradient workers a training run starts when not told: one per core beyond the first on the wasm
 * and cpu backends (whose kernels use one core per thread), none elsewhere or without the compiled worker.
 */
export function defaultGradientWorkers(backend: string, entry?: string | URL): number {
  if (backend !== 'wasm' && backend !== 'cpu') return 0;
  if (!existsSync(fileURLToPath(gradientWorkerUrl(entry)))) return 0;
  return Math.max(0, availableParallelism() - 1);
}

function call(worker: Worker, message: unknown): Promise<ShardResult | undefined> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      cleanup();
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`gradient worker: ${reply.error}`));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`gradient worker failed: ${error.message}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(message);
  });
}
