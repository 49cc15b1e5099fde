import type { Tokenizer } from '../tokenizers/index.js';
import { alpacaFormat } from './alpacaFormat.js';
import { chatTemplateFormat } from './chatTemplateFormat.js';
import { llama2ChatFormat } from './llama2ChatFormat.js';
import { llama3ChatFormat } from './llama3ChatFormat.js';
import type { PromptFormat, PromptFormatName } from './promptFormat.js';

export const PROMPT_FORMAT_NAMES: readonly PromptFormatName[] = [
  'alpaca',
  'llama2',
  'llama3',
  'chat_template',
];

/** A format by name; `chat_template` uses the tokenizer's chat template from tokenizer_config.json. */
export function promptFormatByName(name: string, tokenizer?: Pick<Tokenizer, 'chatTemplate'>): PromptFormat {
  switch (name) {
    case 'alpaca':
      return alpacaFormat;
    case 'llama2':
      return llama2ChatFormat;
    case 'llama3':
      return llama3ChatFormat;
    case 'chat_template': {
      const template = tokenizer?.chatTemplate;
      if (template === undefined) {
        throw new Error(
          'prompt format chat_template: the model has no chat_template in tokenizer_config.json; pick alpaca, llama2 or llama3',
        );
      }
      return chatTemplateFormat(template, 'tokenizer_config.json chat_template');
    }
    default:
      throw new Error(`unknown prompt format "${name}"; use one of ${PROMPT_FORMAT_NAMES.join(', ')}`);
  }
}
