/** The messages between the serving process and its generation threads (plain, cloneable data). */
import type { ModelFiles } from '../ml/modelFiles.js';

export type { ModelFiles };

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface GenerationInput {
  readonly key: string;
  /** Chat messages (rendered with the model's prompt format) or a raw text prompt. */
  readonly prompt:
    | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] }
    | { readonly kind: 'text'; readonly text: string };
  readonly maxTokens: number;
  /**
   * The client named maxTokens: the prompt and they must fit the model's context together (OpenAI's rule).
   * Otherwise maxTokens is the server's default, cut to what the context leaves.
   */
  readonly maxTokensRequested?: boolean;
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
  /** Send text deltas as they are produced. */
  readonly stream: boolean;
}

export interface GenerationOutput {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Mean entropy (nats) of the next-token distributions of the generated tokens. */
  readonly meanTokenEntropy: number;
  readonly finishReason: 'stop' | 'length' | 'cancelled';
  /**
   * Milliseconds from the thread taking the request to its answer: tokenising, waiting to join the running
   * batch, the batch's forward passes while this sequence was in it, sampling, decoding.
   */
  readonly modelMs: number;
  /**
   * Milliseconds the request sat in the thread's message queue while a decoding step of other requests ran
   * (it joins at the next step): batching's wait, counted with the queue rather than as the hand-off.
   */
  readonly stepWaitMs: number;
  /** Sequences in the batch, on average over the decoding steps this one took part in (1: it ran alone). */
  readonly meanBatchSize: number;
}

export type ToThread =
  | { readonly type: 'load'; readonly requestId: number; readonly files: ModelFiles }
  | { readonly type: 'unload'; readonly requestId: number; readonly key: string }
  | {
      readonly type: 'generate';
      readonly requestId: number;
      readonly input: GenerationInput;
      /** When the pool posted it: performance.timeOrigin + performance.now(), a clock threads share. */
      readonly postedAt: number;
    }
  /** Stop this generation at the next step (its client went away); it still answers 'done' (cancelled). */
  | { readonly type: 'cancel'; readonly requestId: number };

export type FromThread =
  | { readonly type: 'ready' }
  | { readonly type: 'loaded'; readonly requestId: number; readonly backend: string }
  | { readonly type: 'unloaded'; readonly requestId: number }
  | { readonly type: 'delta'; readonly requestId: number; readonly text: string }
  | { readonly type: 'done'; readonly requestId: number; readonly output: GenerationOutput }
  | {
      readonly type: 'failed';
      readonly requestId: number;
      readonly message: string;
      /** Set when the request itself cannot be served (the client's fault), not the thread. */
      readonly refusal?: GenerationRefusal;
    };

/** A request the model cannot take: the prompt (with the requested completion) is longer than its context. */
export interface GenerationRefusal {
  readonly code: 'context_length_exceeded';
  readonly contextLength: number;
  readonly promptTokens: number;
  readonly maxTokens: number;
}

/** How a generation thread batches (see ContinuousBatcher). */
export interface BatchSettings {
  /** Sequences decoded together at most, per loaded model. */
  readonly maxBatch: number;
  /** Tokens one step may run: one per running sequence plus the prompts admitted at that step. */
  readonly tokenBudget: number;
}
