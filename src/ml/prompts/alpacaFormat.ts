import type { PromptFormat, SpecialTokenNames } from './promptFormat.js';
import type { PromptRecord, TrainingRecord } from './trainingRecord.js';

const PREAMBLE_WITH_INPUT =
  'Below is an instruction that describes a task, paired with an input that provides further context. ' +
  'Write a response that appropriately completes the request.';
const PREAMBLE =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

/**
 * Stanford Alpaca's prompt (with and without the input section). A record's system text replaces the standard
 * preamble; earlier turns of `history` come before the instruction as answered instruction/response pairs.
 */
export const alpacaFormat: PromptFormat = {
  name: 'alpaca',
  render(record: TrainingRecord, tokens: SpecialTokenNames) {
    return { prompt: this.renderPrompt(record, tokens), response: `${record.output}${tokens.eosToken}` };
  },
  renderPrompt(record: PromptRecord, tokens: SpecialTokenNames) {
    const hasInput = record.input !== undefined && record.input.trim() !== '';
    const preamble = record.system?.trim() || (hasInput ? PREAMBLE_WITH_INPUT : PREAMBLE);
    const turns = (record.history ?? [])
      .map(([user, assistant]) => `### Instruction:\n${user}\n\n### Response:\n${assistant}\n\n`)
      .join('');
    const input = hasInput ? `### Input:\n${record.input}\n\n` : '';
    return `${tokens.bosToken}${preamble}\n\n${turns}### Instruction:\n${record.instruction}\n\n${input}### Response:\n`;
  },
};
