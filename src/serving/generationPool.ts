import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type BatchSettings,
  type FromThread,
  type GenerationInput,
  type GenerationOutput,
  type GenerationRefusal,
  type ModelFiles,
  type ToThread,
} from './generationProtocol.js';

export interface GenerationPoolOptions {
  /** Generation threads (default 1); each holds its own copy of the weights and batches its requests. */
  readonly threads?: number;
  /** Requests a thread decodes together at most (default 32): its continuous batch. */
  readonly maxBatch?: number;
  /** Tokens one decoding step of a thread may run: a token per sequence plus prompts joining (default 512). */
  readonly batchTokens?: number;
  /** Requests allowed to wait for room in a thread's batch; one more is refused with QueueFullError (default 32). */
  readonly maxQueue?: number;
  /** What a refused client is told to wait, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** The compiled thread body; default generationThread.js beside this file (run from dist/). */
  readonly threadEntry?: URL;
}

/** The thread refused the request itself (its prompt does not fit the context): the HTTP layer answers 400. */
export class GenerationRefusedError extends Error {
  override readonly name = 'GenerationRefusedError';
  constructor(
    message: string,
    readonly refusal: GenerationRefusal,
  ) {
    super(message);
  }
}

/** The queue is full: the HTTP layer answers 503 with Retry-After. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly retryAfterSeconds: number,
    queued: number,
  ) {
    super(`the generation queue is full (${queued} waiting); retry in ${retryAfterSeconds} s`);
  }
}

export interface GenerationResult extends GenerationOutput {
  /**
   * Milliseconds the request waited for room in a thread's batch, and in the thread for the decoding step that
   * was running when it arrived (GenerationOutput.stepWaitMs).
   */
  readonly queueMs: number;
}

export interface GenerationHandle {
  readonly result: Promise<GenerationResult>;
  /** Stops the generation at its next token (a client that went away); the result then says 'cancelled'. */
  cancel(): void;
}

interface Pending {
  readonly requestId: number;
  readonly input: GenerationInput;
  readonly onDelta?: (text: string) => void;
  readonly enqueuedAt: number;
  startedAt?: number;
  cancelled: boolean;
  resolve(result: GenerationResult): void;
  reject(error: Error): void;
}

interface Control {
  resolve(message: FromThread): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** Requests the thread is generating (its batch and those about to join it), by request id. */
  readonly active: Map<number, Pending>;
  readonly controls: Map<number, Control>;
  ready: Promise<void>;
}

/**
 * Worker threads that generate off the request event loop, behind a bounded FIFO queue. Every thread holds
 * every loaded model and decodes up to maxBatch requests together (continuous batching: a request joins at the
 * thread's next step), so a request goes to the thread with the most room; it waits only when all are full.
 */
export class GenerationPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly loaded = new Map<string, ModelFiles>();
  private nextId = 1;
  private closed = false;
  private answered = { requests: 0, batchSizeSum: 0 };
  readonly backend: { name: string } = { name: 'unknown' };

  private constructor(
    private readonly options: Required<Omit<GenerationPoolOptions, 'threadEntry'>> & { threadEntry: URL },
  ) {}

  static async start(options: GenerationPoolOptions = {}): Promise<GenerationPool> {
    const threadEntry = options.threadEntry ?? new URL('./generationThread.js', import.meta.url);
    if (!existsSync(fileURLToPath(threadEntry))) {
      throw new Error(
        `generation threads need the compiled thread body (${fileURLToPath(threadEntry)} is missing): run \`npm run build\` and serve from dist/, or pass threadEntry`,
      );
    }
    const pool = new GenerationPool({
      threads: Math.max(1, options.threads ?? 1),
      maxBatch: Math.max(1, options.maxBatch ?? 32),
      batchTokens: Math.max(1, options.batchTokens ?? 512),
      maxQueue: Math.max(0, options.maxQueue ?? 32),
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      threadEntry,
    });
    for (let i = 0; i < pool.options.threads; i++) pool.slots.push(pool.spawn());
    await Promise.all(pool.slots.map((slot) => slot.ready));
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Requests waiting for room in a thread's batch. */
  queued(): number {
    return this.queue.length;
  }

  /**
   * Requests answered so far and the sum of their mean batch sizes (GenerationOutput.meanBatchSize): the
   * batch occupancy over a period is the difference of two readings' sums over that of their counts.
   */
  occupancy(): { readonly requests: number; readonly batchSizeSum: number } {
    return { ...this.answered };
  }

  /** Threads generating now. */
  busy(): number {
    return this.slots.filter((slot) => slot.active.size > 0).length;
  }

  /** Requests being generated now, in all threads. */
  generating(): number {
    return this.slots.reduce((sum, slot) => sum + slot.active.size, 0);
  }

  isLoaded(key: string): boolean {
    return this.loaded.has(key);
  }

  /** Loads a model version into every thread; resolves once all can serve it. */
  async load(files: ModelFiles): Promise<void> {
    await Promise.all(
      this.slots.map((slot) => this.control(slot, { type: 'load', requestId: this.nextId++, files })),
    );
    this.loaded.set(files.key, files);
  }

  async unload(key: string): Promise<void> {
    this.loaded.delete(key);
    await Promise.all(
      this.slots.map((slot) => this.control(slot, { type: 'unload', requestId: this.nextId++, key })),
    );
  }

  /** Queues a generation; throws QueueFullError at once when the queue is full. */
  generate(input: GenerationInput, onDelta?: (text: string) => void): GenerationHandle {
    if (this.closed) throw new Error('the generation pool is closed');
    if (!this.loaded.has(input.key))
      throw new Error(`model ${input.key} is not loaded; load it before generating`);
    const room = this.slots.some((slot) => slot.active.size < this.options.maxBatch);
    if (!room && this.queue.length >= this.options.maxQueue) {
      throw new QueueFullError(this.options.retryAfterSeconds, this.queue.length);
    }
    let pending!: Pending;
    const result = new Promise<GenerationResult>((resolve, reject) => {
      pending = {
        requestId: this.nextId++,
        input,
        onDelta,
        enqueuedAt: performance.now(),
        cancelled: false,
        resolve,
        reject,
      };
    });
    this.queue.push(pending);
    this.dispatch();
    return {
      result,
      cancel: () => {
        pending.cancelled = true;
        const index = this.queue.indexOf(pending);
        if (index >= 0) {
          this.queue.splice(index, 1);
          pending.resolve(cancelledResult(pending));
          return;
        }
        const slot = this.slots.find((s) => s.active.get(pending.requestId) === pending);
        slot?.worker.postMessage({ type: 'cancel', requestId: pending.requestId } satisfies ToThread);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the generation pool closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Hands waiting requests to the threads with the most room in their batches. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot: Slot | undefined;
      for (const candidate of this.slots)
        if (
          candidate.active.size < this.options.maxBatch &&
          (!slot || candidate.active.size < slot.active.size)
        )
          slot = candidate;
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.active.set(pending.requestId, pending);
      pending.startedAt = performance.now();
      const message: ToThread = {
        type: 'generate',
        requestId: pending.requestId,
        input: pending.input,
        postedAt: performance.timeOrigin + performance.now(),
      };
      slot.worker.postMessage(message);
    }
  }

  private control(slot: Slot, message: ToThread): Promise<FromThread> {
    return new Promise((resolve, reject) => {
      slot.controls.set(message.requestId, { resolve, reject });
      slot.worker.postMessage(message);
    });
  }

  private spawn(): Slot {
    const batch: BatchSettings = { maxBatch: this.options.maxBatch, tokenBudget: this.options.batchTokens };
    const worker = new Worker(this.options.threadEntry, { workerData: { batch }, execArgv: [] });
    let markReady!: () => void;
    let failReady!: (error: Error) => void;
    const slot: Slot = {
      worker,
      active: new Map(),
      controls: new Map(),
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failReady = reject;
      }),
    };
    worker.on('message', (message: FromThread) => {
      if (message.type === 'ready') return markReady();
      const current = slot.active.get(message.requestId);
      if (current) {
        if (message.type === 'delta') {
          if (!current.cancelled) current.onDelta?.(message.text);
          return;
        }
        slot.active.delete(message.requestId);
        if (message.type === 'done') {
          this.answered.requests++;
          this.answered.batchSizeSum += message.output.meanBatchSize;
          current.resolve({
            ...message.output,
            queueMs:
              (current.startedAt ?? current.enqueuedAt) - current.enqueuedAt + message.output.stepWaitMs,
          });
        } else if (message.type === 'failed')
          current.reject(
            message.refusal
              ? new GenerationRefusedError(message.message, message.refusal)
              : new Error(message.message),
          );
        this.dispatch();
        return;
      }
      const control = slot.controls.get(message.requestId);
      if (!control) return;
      slot.controls.delete(message.requestId);
      if (message.type === 'failed') control.reject(new Error(message.message));
      else {
        if (message.type === 'loaded') this.backend.name = message.backend;
        control.resolve(message);
      }
    });
    worker.on('error', (error) => {
      failReady(error);
      // A thread that crashed takes its requests with it; a fresh thread replaces it with every loaded model.
      for (const pending of slot.active.values())
        pending.reject(new Error(`the generation thread failed: ${error.message}`));
      slot.active.clear();
      for (const control of slot.controls.values()) control.reject(error);
      slot.controls.clear();
      if (this.closed) return;
      const index = this.slots.indexOf(slot);
      const fresh = this.spawn();
      if (index >= 0) this.slots[index] = fresh;
      void fresh.ready
        .then(() =>
          Promise.all(
            [...this.loaded.values()].map((files) =>
              this.control(fresh, { type: 'load', requestId: this.nextId++, files }),
            ),
          ),
        )
        .then(() => this.dispatch())
        .catch(() => undefined);
    });
    return slot;
  }
}

function cancelledResult(pending: Pending): GenerationResult {
  return {
    text: '',
    promptTokens: 0,
    completionTokens: 0,
    meanTokenEntropy: 0,
    finishReason: 'cancelled',
    modelMs: 0,
    stepWaitMs: 0,
    meanBatchSize: 0,
    queueMs: performance.now() - pending.enqueuedAt,
  };
}
