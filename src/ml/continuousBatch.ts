import * as tf from '@tensorflow/tfjs';
import { lastLogitsOfRows, SequenceDecoder, type GenerateOptions, type GenerateResult } from './generate.js';
import { BatchKvCache, KvCache, type LlamaModel } from './model.js';
import { copySlots } from './wasmKernels.js';

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
 * the token budget and prefills them together (one forward pass per prompt length: that gives each its first
 * token), then decodes one token of every running sequence in one forward pass.
 *
 * Greedy output is the same as `generate` alone: the batched step computes each row as a single sequence's
 * step would (see LlamaModel.decodeStep). Sampled output depends only on the sequence's seed.
 */
export class ContinuousBatcher {
  private readonly waitingLine: Entry[] = [];
  /** The sequences of the batch cache's rows, by row; undefined for a free row (see retire). */
  private running: (Entry | undefined)[] = [];
  private live = 0;
  private readonly cache: BatchKvCache;
  private readonly maxBatch: number;
  private readonly tokenBudget: number;
  /** The last prompt admitted and its keys and values: the next prompt reuses the part it shares. */
  private lastPrompt: { tokens: readonly number[]; cache: KvCache } | undefined;
  /** Prompt tokens admitted, and how many of them came from the last prompt's cache instead of the model. */
  promptTokens = 0;
  reusedPromptTokens = 0;
  /** Forward passes that prefilled admitted prompts (one per prompt length admitted at a step). */
  prefillPasses = 0;
  /** Decoding steps run, and the sequences they carried in all (their ratio is the mean occupancy). */
  steps = 0;
  rowsStepped = 0;
  /** Sequences that joined the batch in a free row (copied into place, the cache otherwise untouched). */
  joinedFreeRows = 0;

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
    return this.live;
  }

  /** Sequences waiting to join. */
  get waiting(): number {
    return this.waitingLine.length;
  }

  get idle(): boolean {
    return this.live === 0 && this.waitingLine.length === 0;
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
      if (this.live > 0) this.decode();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      const everyone = [...this.members(), ...this.waitingLine.splice(0)];
      this.running = [];
      this.live = 0;
      this.cache.dispose();
      for (const entry of everyone) entry.fail(failure);
    }
  }

  /** Fails every sequence and frees the cache. */
  dispose(): void {
    for (const entry of [...this.members(), ...this.waitingLine.splice(0)])
      entry.fail(new Error('the batcher was disposed'));
    this.running = [];
    this.live = 0;
    this.cache.dispose();
    this.lastPrompt?.cache.dispose();
    this.lastPrompt = undefined;
  }

  /**
   * A cache for the prompts of one length admitted together (one row each): the keys and values of the
   * longest prefix every one of them shares with the last prompt admitted (a chat template's preamble, a
   * shared system prompt), at least one token short of the prompts so that their last position still runs
   * and gives logits. Prefix caching: a prompt's keys and values at a position depend only on the tokens up
   * to it, so the rows are copies of the last prompt's.
   */
  private sharedPrefix(prompts: readonly (readonly number[])[]): KvCache {
    const cache = new KvCache(this.model.config.numLayers);
    const last = this.lastPrompt;
    if (!last) return cache;
    let shared = Math.min(last.tokens.length, prompts[0]!.length - 1);
    for (const prompt of prompts) {
      let same = 0;
      while (same < shared && last.tokens[same] === prompt[same]) same++;
      shared = same;
    }
    if (shared === 0) return cache;
    const rows = prompts.length;
    const kvHeads = this.model.config.numKvHeads;
    // Row r's entries are copies of the last prompt's kvHeads entries (tf.tile on wasm walks element by element).
    const pairs = range(rows * kvHeads).map((e) => [e % kvHeads, e] as const);
    const copy = (t: tf.Tensor3D | undefined) => {
      const into = tf.zeros([rows * kvHeads, shared, t!.shape[2]]) as tf.Tensor3D;
      const copied = copySlots(into, t!, pairs, { from: 0, to: 0, count: shared });
      if (copied !== into) into.dispose();
      return tf.keep(copied);
    };
    cache.keys = last.cache.keys.map(copy);
    cache.values = last.cache.values.map(copy);
    cache.length = shared;
    return cache;
  }

  /** Keeps a copy of row `row` of `cache` (the prompts' keys and values after their prefill) for the next prompts to share. */
  private remember(prompt: readonly number[], cache: KvCache, row: number): void {
    this.lastPrompt?.cache.dispose();
    const kvHeads = this.model.config.numKvHeads;
    const copy = new KvCache(this.model.config.numLayers);
    // One row: a clone shares the tensor's data (no copy).
    const take = (t: tf.Tensor3D | undefined) =>
      tf.keep(
        t!.shape[0] === kvHeads ? tf.clone(t!) : tf.slice(t!, [row * kvHeads, 0, 0], [kvHeads, -1, -1]),
      );
    copy.keys = cache.keys.map(take);
    copy.values = cache.values.map(take);
    copy.length = cache.length;
    this.lastPrompt = { tokens: [...prompt], cache: copy };
  }

  private dropCancelled(): void {
    for (const entry of this.waitingLine.filter((e) => e.cancelled)) {
      this.waitingLine.splice(this.waitingLine.indexOf(entry), 1);
      entry.decoder.stop();
      this.report(entry, true);
    }
    this.retire(this.running.flatMap((entry, row) => (entry?.cancelled ? [row] : [])));
  }

  /**
   * Admits waiting sequences up to the batch size and the token budget, then prefills them together: the
   * prompts of each length (in order of their first arrival) run in one forward pass and join the batch
   * cache in one append.
   */
  private admit(): void {
    const byLength = new Map<number, Entry[]>();
    for (const entry of this.take()) {
      const length = entry.decoder.prompt.length;
      byLength.set(length, [...(byLength.get(length) ?? []), entry]);
    }
    for (const members of byLength.values()) this.prefill(members);
  }

  /** Takes waiting sequences in arrival order while the batch and the step's token budget have room. */
  private take(): Entry[] {
    const taken: Entry[] = [];
    let budget = this.tokenBudget - this.live;
    while (this.waitingLine.length > 0 && this.live + taken.length < this.maxBatch) {
      const entry = this.waitingLine[0]!;
      const cost = entry.decoder.prompt.length;
      if (cost > budget && this.live + taken.length > 0) break;
      this.waitingLine.shift();
      budget -= cost;
      if (entry.decoder.finished) this.report(entry, false);
      else taken.push(entry);
    }
    return taken;
  }

  /**
   * Prefills prompts of one length in one forward pass (after the prefix they share with the last prompt),
   * gives each its first token, and moves the rows of those that go on into the batch cache in one append.
   */
  private prefill(members: readonly Entry[]): void {
    const prompts = members.map((entry) => entry.decoder.prompt);
    const cache = this.sharedPrefix(prompts);
    let going: number[];
    try {
      this.promptTokens += prompts.length * prompts[0]!.length;
      this.reusedPromptTokens += prompts.length * cache.length;
      const logits = lastLogitsOfRows(
        this.model,
        prompts.map((prompt) => prompt.slice(cache.length)),
        cache,
      );
      this.prefillPasses++;
      this.remember(prompts.at(-1)!, cache, prompts.length - 1);
      const vocab = logits.length / prompts.length;
      going = [];
      members.forEach((entry, row) => {
        const next = entry.decoder.accept(logits.subarray(row * vocab, (row + 1) * vocab));
        if (next === undefined) this.report(entry, false);
        else {
          entry.next = next;
          going.push(row);
        }
      });
    } catch (error) {
      cache.dispose();
      for (const entry of members) entry.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // A failure here leaves the batch cache unknown: step() fails every sequence.
    const rows = this.cache.append(cache, going.length < members.length ? going : undefined);
    const allocated = this.running.length;
    rows.forEach((row, i) => (this.running[row] = members[going[i]!]!));
    this.live += rows.length;
    this.joinedFreeRows += rows.filter((row) => row < allocated).length;
  }

  private decode(): void {
    // A free row runs on token 0; its logits are not read.
    const tokens = this.running.map((entry) => entry?.next ?? 0);
    const logits = tf.tidy(() => this.model.decodeStep(tokens, this.cache));
    const all = Float32Array.from(logits.dataSync() as Float32Array);
    logits.dispose();
    const vocab = all.length / tokens.length;
    this.steps++;
    this.rowsStepped += this.live;
    const done: number[] = [];
    const live = this.live;
    this.running.forEach((entry, row) => {
      if (!entry) return;
      entry.steps++;
      entry.batchRows += live;
      const next = entry.decoder.accept(all.subarray(row * vocab, (row + 1) * vocab));
      if (next === undefined) done.push(row);
      else entry.next = next;
    });
    this.retire(done);
  }

  /**
   * Takes finished (or cancelled) rows out of the batch and reports them. Their rows are released, not
   * removed: the others stay where they are (no copy of the cache) and the next sequences admitted take the
   * free rows. Once free rows are more than a quarter of the batch, they are dropped (one copy).
   */
  private retire(rows: readonly number[]): void {
    if (rows.length === 0) return;
    const leaving = rows.map((row) => this.running[row]!);
    this.cache.release(rows);
    for (const row of rows) this.running[row] = undefined;
    this.live -= rows.length;
    if (this.live === 0) this.running = [];
    else if (4 * (this.running.length - this.live) > this.running.length) {
      this.cache.remove(this.cache.free);
      this.running = this.running.filter((entry) => entry !== undefined);
    }
    for (const entry of leaving) {
      if (entry.cancelled) entry.decoder.stop();
      this.report(entry, entry.cancelled);
    }
  }

  /** The sequences in the batch. */
  private members(): Entry[] {
    return this.running.filter((entry) => entry !== undefined);
  }

  private report(entry: Entry, cancelled: boolean): void {
    entry.finish({
      ...entry.decoder.result(),
      cancelled,
      meanBatchSize: entry.steps > 0 ? entry.batchRows / entry.steps : 0,
    });
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
