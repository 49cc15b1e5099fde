import type { Tokenizer } from '../tokenizers/index.js';
import type { PromptRecord, TrainingRecord } from './trainingRecord.js';

/**
 * A training example as text. `prompt` is everything the model is given, `response` everything it must learn
 * to produce, ending with the end-of-turn/EOS marker; prompt + response is the whole example. BOS and other
 * special tokens are written in the text by name (`tokenizer.bosToken`, `<|eot_id|>`): every tokenizer here
 * reads special tokens written in the text as the special ids.
 */
export interface RenderedExample {
  readonly prompt: string;
  readonly response: string;
}

/** The special token names a format writes, normally taken from the tokenizer. */
export type SpecialTokenNames = Pick<Tokenizer, 'bosToken' | 'eosToken'>;

export type PromptFormatName = 'alpaca' | 'llama2' | 'llama3' | 'chat_template';

export interface PromptFormat {
  readonly name: PromptFormatName;
  /** Prompt and response of a training record. */
  render(record: TrainingRecord, tokens: SpecialTokenNames): RenderedExample;
  /** The prompt alone, for generation; equal to render(...).prompt. */
  renderPrompt(record: PromptRecord, tokens: SpecialTokenNames): string;
}
