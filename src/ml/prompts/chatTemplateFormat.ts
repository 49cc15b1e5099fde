import { Template } from '@huggingface/jinja';
import type { PromptFormat, SpecialTokenNames } from './promptFormat.js';
import { type PromptRecord, type TrainingRecord, userMessage } from './trainingRecord.js';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** The conversation of a record as chat messages, without the final answer. */
export function recordMessages(record: PromptRecord): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (record.system?.trim()) messages.push({ role: 'system', content: record.system });
  for (const [user, assistant] of record.history ?? []) {
    messages.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
  }
  messages.push({ role: 'user', content: userMessage(record) });
  return messages;
}

/**
 * A model's own `chat_template` (Jinja, from tokenizer_config.json) rendered with @huggingface/jinja, with the
 * variables transformers passes (messages, bos_token, eos_token, add_generation_prompt; the library itself
 * provides raise_exception).
 * The prompt is the conversation rendered with add_generation_prompt; the response is what rendering the
 * conversation with the answer adds after it, so the template must render a conversation's prefix as a
 * prefix of the whole (all common templates do; one that does not is reported).
 */
export function chatTemplateFormat(template: string, source = 'chat_template'): PromptFormat {
  let compiled: Template;
  try {
    compiled = new Template(template);
  } catch (err) {
    throw new Error(`${source}: the chat template does not parse: ${(err as Error).message}`);
  }
  const render = (
    messages: ChatMessage[],
    addGenerationPrompt: boolean,
    tokens: SpecialTokenNames,
  ): string => {
    try {
      return compiled.render({
        messages,
        bos_token: tokens.bosToken,
        eos_token: tokens.eosToken,
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (err) {
      throw new Error(`${source}: rendering the chat template failed: ${(err as Error).message}`);
    }
  };
  return {
    name: 'chat_template',
    render(record: TrainingRecord, tokens: SpecialTokenNames) {
      const messages = recordMessages(record);
      const prompt = render(messages, true, tokens);
      const full = render([...messages, { role: 'assistant', content: record.output }], false, tokens);
      if (!full.startsWith(prompt)) {
        throw new Error(
          `${source}: the chat template renders the conversation with its answer so that it does not start with the prompt (rendered with add_generation_prompt); it cannot separate prompt and response for loss masking: use a built-in format (alpaca, llama2, llama3) instead`,
        );
      }
      return { prompt, response: full.slice(prompt.length) };
    },
    renderPrompt(record: PromptRecord, tokens: SpecialTokenNames) {
      return render(recordMessages(record), true, tokens);
    },
  };
}
