import * as tf from '@tensorflow/tfjs';
import { lastLogits, SequenceDecoder, type GenerateOptions, type GenerateResult } from './generate.js';
import { BatchKvCache, KvCache, type LlamaModel } from './model.js';

export interface ContinuousBatcherOptions {
  /** Sequences decoded together at most (default 32). */
  readonly maxBatch?: number;
  /**
   * Tokens one step may run (default 512): one per running sequence plus the prompts of those admitted at
   * this step. A prompt longer than what is left waits for the next step, unless nothing else runs.
   */
  readonly tokenBudget?: number;
}

export interface BatchedResult extends GenerateResult {
  /** The sequence was cancelled (BatchedSequence.cancel) before it finished. */
  readonly cancelled: boolean;
  /** Sequences in the batch, on average over the decoding steps this one took part in (0: none ran). */
  readonly meanBatchSize: number;
}

export interface BatchedSequence {
  /** Stops the sequence before its next step (or takes it out of the waiting line); finish reports cancelled. */
  cancel(): void;
}

interface Entry {
  readonly decoder: SequenceDecoder;
  readonly finish: (result: BatchedResult) => void;
  readonly fail: (error: Error) => void;
  /** The token this sequence feeds at the next step. */
  next: number;
  cancelled: boolean;
  steps: number;
  batchRows: number;
}

/**
 * Iteration-level scheduling (continuous batching, as in Orca): sequences join the running batch at the next
 * step and leave as soon as they finish, each with its own keys and values (a row of a BatchKvCache), its own
 * sampling settings and random stream, and its own stop conditions. A step admits waiting sequences up to
 * the token budget (their prompts run one by one: that gives each its first token), then decodes one token of
 * every running sequence in one forward pass.
 *
 * Greedy output is the same as `generate` alone: the batched step computes each row as a single sequence's
 * step would (see LlamaModel.decodeStep). Sampled output depends only on the sequence's seed.
 */
export class ContinuousBatcher {
  private readonly waitingLine: Entry[] = [];
  private running: Entry[] = [];
  private readonly cache: BatchKvCache;
  private readonly maxBatch: number;
  private readonly tokenBudget: number;
  /** The last prompt admitted and its keys and values: the next prompt reuses the part it shares. */
  private lastPrompt: { tokens: readonly number[]; cache: KvCache } | undefined;
  /** Prompt tokens admitted, and how many of them came from the last prompt's cache instead of the model. */
  promptTokens = 0;
  reusedPromptTokens = 0;
  /** Decoding steps run, and the sequences they carried in all (their ratio is the mean occupancy). */
  steps = 0;
  rowsStepped = 0;

  constructor(
    private readonly model: LlamaModel,
    options: ContinuousBatcherOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
    this.tokenBudget = Math.max(1, options.tokenBudget ?? 512);
    this.cache = new BatchKvCache(model.config.numLayers, model.config.numKvHeads);
  }

  /** Sequences in the running batch. */
  get active(): number {
    return this.running.length;
  }

  /** Sequences waiting to join. */
  get waiting(): number {
    return this.waitingLine.length;
  }

  get idle(): boolean {
    return this.running.length === 0 && this.waitingLine.length === 0;
  }

  /**
   * Queues a sequence; `finish` gets its result once it is done, `fail` the error if a step failed under it.
   * Throws at once on a prompt or settings the model cannot take.
   */
  submit(
    prompt: readonly number[],
    options: GenerateOptions,
    finish: (result: BatchedResult) => void,
    fail: (error: Error) => void,
  ): BatchedSequence {
    const entry: Entry = {
      decoder: new SequenceDecoder(this.model.config, prompt, options),
      finish,
      fail,
      next: -1,
      cancelled: false,
      steps: 0,
      batchRows: 0,
    };
    this.waitingLine.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }

  /**
   * One iteration: drops cancelled sequences, admits waiting ones up to the budget, decodes one token for
   * every running sequence, and finishes those that are done. Does nothing when idle.
   */
  step(): void {
    try {
      this.dropCancelled();
      this.admit();
      if (this.running.length > 0) this.decode();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      const everyone = [...this.running, ...this.waitingLine.splice(0)];
      this.running = [];
      this.cache.dispose();
      for (const entry of everyone) entry.fail(failure);
    }
  }

  /** Fails every sequence and frees the cache. */
  dispose(): void {
    for (const entry of [...this.running, ...this.waitingLine.splice(0)])
      entry.fail(new Error('the batcher was disposed'));
    this.running = [];
    this.cache.dispose();
    this.lastPrompt?.cache.dispose();
    this.lastPrompt = undefined;
  }

  /**
   * A cache holding the keys and values of the longest prefix `prompt` shares with the last prompt admitted
   * (a chat template's preamble, a shared system prompt), at least one token short of the whole prompt so
   * that its last position still runs and gives logits. Prefix caching: a prompt's keys and values at a
   * position depend only on the tokens up to it.
   */
  private sharedPrefix(prompt: readonly number[]): KvCache {
    const cache = new KvCache(this.model.config.numLayers);
    const last = this.lastPrompt;
    if (!last) return cache;
    let shared = 0;
    const most = Math.min(last.tokens.length, prompt.length - 1);
    while (shared < most && last.tokens[shared] === prompt[shared]) shared++;
    if (shared === 0) return cache;
    const cut = (t: tf.Tensor3D | undefined) =>
      tf.keep(tf.slice(t!, [0, 0, 0], [-1, shared, -1]) as tf.Tensor3D);
    cache.keys = last.cache.keys.map(cut);
    cache.values = last.cache.values.map(cut);
    cache.length = shared;
    return cache;
  }

  /** Keeps a copy of a prompt's keys and values (`cache` after its prefill) for the next prompt to share. */
  private remember(prompt: readonly number[], cache: KvCache): void {
    this.lastPrompt?.cache.dispose();
    const copy = new KvCache(this.model.config.numLayers);
    copy.keys = cache.keys.map((t) => tf.keep(tf.clone(t!)));
    copy.values = cache.values.map((t) => tf.keep(tf.clone(t!)));
    copy.length = cache.length;
    this.lastPrompt = { tokens: [...prompt], cache: copy };
  }

  private dropCancelled(): void {
    for (const entry of this.waitingLine.filter((e) => e.cancelled)) {
      this.waitingLine.splice(this.waitingLine.indexOf(entry), 1);
      entry.decoder.stop();
      this.report(entry, true);
    }
    this.retire(this.running.flatMap((entry, row) => (entry.cancelled ? [row] : [])));
  }

  private admit(): void {
    let budget = this.tokenBudget - this.running.length;
    while (this.waitingLine.length > 0 && this.running.length < this.maxBatch) {
      const entry = this.waitingLine[0]!;
      const cost = entry.decoder.prompt.length;
      if (cost > budget && this.running.length > 0) break;
      this.waitingLine.shift();
      budget -= cost;
      if (entry.decoder.finished) {
        this.report(entry, false);
        continue;
      }
      const prompt = entry.decoder.prompt;
      const single = this.sharedPrefix(prompt);
      try {
        this.promptTokens += prompt.length;
        this.reusedPromptTokens += single.length;
        const logits = lastLogits(this.model, prompt.slice(single.length), single);
        this.remember(prompt, single);
        const next = entry.decoder.accept(logits);
        if (next === undefined) {
          this.report(entry, false);
          continue;
        }
        entry.next = next;
        this.cache.append(single);
        this.running.push(entry);
      } catch (error) {
        entry.fail(error instanceof Error ? error : new Error(String(error)));
      } finally {
        single.dispose();
      }
    }
  }

  private decode(): void {
    const tokens = this.running.map((entry) => entry.next);
    const logits = tf.tidy(() => this.model.decodeStep(tokens, this.cache));
    const all = Float32Array.from(logits.dataSync() as Float32Array);
    logits.dispose();
    const vocab = all.length / tokens.length;
    this.steps++;
    this.rowsStepped += tokens.length;
    const done: number[] = [];
    this.running.forEach((entry, row) => {
      entry.steps++;
      entry.batchRows += tokens.length;
      const next = entry.decoder.accept(all.subarray(row * vocab, (row + 1) * vocab));
      if (next === undefined) done.push(row);
      else entry.next = next;
    });
    this.retire(done);
  }

  /** Takes finished (or cancelled) rows out of the batch and reports them. */
  private retire(rows: readonly number[]): void {
    if (rows.length === 0) return;
    const leaving = rows.map((row) => this.running[row]!);
    this.cache.remove(rows);
    const gone = new Set(rows);
    this.running = this.running.filter((_, row) => !gone.has(row));
    for (const entry of leaving) {
      if (entry.cancelled) entry.decoder.stop();
      this.report(entry, entry.cancelled);
    }
  }

  private report(entry: Entry, cancelled: boolean): void {
    entry.finish({
      ...entry.decoder.result(),
      cancelled,
      meanBatchSize: entry.steps > 0 ? entry.batchRows / entry.steps : 0,
    });
  }
}
