import type { EvaluateModelOptions, EvaluationOutcome } from './evaluateModel.js';

/** What the evaluation thread is given: evaluateModel's options without the callbacks. */
export type EvaluationSpec = Omit<EvaluateModelOptions, 'onProgress' | 'shouldStop'>;

/** Messages from the evaluation thread to its owner. */
export type EvaluationMessage =
  | { readonly type: 'progress'; readonly completed: number; readonly total: number }
  | { readonly type: 'done'; readonly outcome: EvaluationOutcome }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

/** Values of the shared control word: the owner asks the thread to stop before its next answer. */
export const EVALUATION_CONTROL = { run: 0, stop: 1 } as const;
