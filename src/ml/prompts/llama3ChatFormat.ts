import type { PromptFormat, SpecialTokenNames } from './promptFormat.js';
import { type PromptRecord, type TrainingRecord, userMessage } from './trainingRecord.js';

const header = (role: string): string => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
const EOT = '<|eot_id|>';

/**
 * Meta's Llama 3 instruct format: `<|begin_of_text|>` then for each message
 * `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>`, contents trimmed; the prompt ends
 * with the assistant header and the response with `<|eot_id|>`.
 */
export const llama3ChatFormat: PromptFormat = {
  name: 'llama3',
  render(record: TrainingRecord, tokens: SpecialTokenNames) {
    return { prompt: this.renderPrompt(record, tokens), response: `${record.output.trim()}${EOT}` };
  },
  renderPrompt(record: PromptRecord, tokens: SpecialTokenNames) {
    const messages: Array<[string, string]> = [];
    if (record.system?.trim()) messages.push(['system', record.system]);
    for (const [user, assistant] of record.history ?? [])
      messages.push(['user', user], ['assistant', assistant]);
    messages.push(['user', userMessage(record)]);
    const body = messages.map(([role, content]) => `${header(role)}${content.trim()}${EOT}`).join('');
    return `${tokens.bosToken}${body}${header('assistant')}`;
  },
};
