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
  /** Milliseconds spent in the model (tokenising, forward passes, sampling, decoding) inside the thread. */
  readonly modelMs: number;
}

export type ToThread =
  | { readonly type: 'load'; readonly requestId: number; readonly files: ModelFiles }
  | { readonly type: 'unload'; readonly requestId: number; readonly key: string }
  | { readonly type: 'generate'; readonly requestId: number; readonly input: GenerationInput };

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

/** Index in the shared cancel array: a thread stops generating when its slot holds the request id. */
export const CANCEL_SLOT = 0;
