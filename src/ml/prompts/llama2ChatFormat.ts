import type { PromptFormat, SpecialTokenNames } from './promptFormat.js';
import { type PromptRecord, type TrainingRecord, userMessage } from './trainingRecord.js';

/**
 * Meta's LLaMA 2 chat format (llama/generation.py `chat_completion`): each turn is
 * `<s>[INST] {user} [/INST] {answer} </s>`, the system prompt wrapped in <<SYS>> inside the first turn,
 * contents stripped.
 */
export const llama2ChatFormat: PromptFormat = {
  name: 'llama2',
  render(record: TrainingRecord, tokens: SpecialTokenNames) {
    return {
      prompt: this.renderPrompt(record, tokens),
      response: ` ${record.output.trim()} ${tokens.eosToken}`,
    };
  },
  renderPrompt(record: PromptRecord, tokens: SpecialTokenNames) {
    const users = [...(record.history ?? []).map(([user]) => user), userMessage(record)].map((u) => u.trim());
    const answers = (record.history ?? []).map(([, answer]) => answer.trim());
    const system = record.system?.trim();
    if (system) users[0] = `<<SYS>>\n${system}\n<</SYS>>\n\n${users[0]}`;
    const past = answers
      .map((answer, i) => `${tokens.bosToken}[INST] ${users[i]} [/INST] ${answer} ${tokens.eosToken}`)
      .join('');
    return `${past}${tokens.bosToken}[INST] ${users[users.length - 1]} [/INST]`;
  },
};
