import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type TrainingRecord,
  alpacaFormat,
  chatTemplateFormat,
  llama2ChatFormat,
  llama3ChatFormat,
  promptFormatByName,
} from '../../../src/ml/prompts/index.js';
import { Llama3Tokenizer, loadTokenizer } from '../../../src/ml/tokenizers/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const RECORDS: readonly TrainingRecord[] = [
  { instruction: 'Say hi.', output: 'Hi!' },
  { instruction: '把下面的句子翻译成英文。', input: '我喜欢骆驼 🦙', output: 'I like llamas 🦙' },
  { instruction: 'What is LoRA?', output: 'Low-rank adaptation.', system: 'You are a concise assistant.' },
  {
    instruction: 'And QLoRA?',
    output: ' LoRA on a 4-bit quantized base model. ',
    system: 'Answer briefly.',
    history: [
      ['What is LoRA?', 'Low-rank adaptation.'],
      ['Who proposed it?', 'Hu et al., 2021.'],
    ],
  },
];

describe('built-in formats against the models’ own chat templates (rendered by @huggingface/jinja)', () => {
  it('llama3 equals the Meta-Llama-3-8B-Instruct chat_template', async () => {
    const tok = await loadTokenizer(fixture('llama3-instruct'));
    expect(tok).toBeInstanceOf(Llama3Tokenizer);
    const fromTemplate = promptFormatByName('chat_template', tok);
    for (const record of RECORDS) {
      expect(llama3ChatFormat.render(record, tok)).toEqual(fromTemplate.render(record, tok));
      expect(llama3ChatFormat.renderPrompt(record, tok)).toBe(fromTemplate.renderPrompt(record, tok));
    }
  });

  it('llama2 equals the Llama-2-7b-chat-hf chat_template', async () => {
    const tok = await loadTokenizer(fixture('llama2-chat'));
    expect(tok.kind).toBe('llama2');
    const fromTemplate = promptFormatByName('chat_template', tok);
    for (const record of RECORDS) {
      expect(llama2ChatFormat.render(record, tok)).toEqual(fromTemplate.render(record, tok));
    }
  });

  it('alpaca writes Stanford Alpaca’s two templates', () => {
    const tokens = { bosToken: '<s>', eosToken: '</s>' };
    expect(alpacaFormat.render({ instruction: 'Name a colour.', output: 'Blue.' }, tokens)).toEqual({
      prompt:
        '<s>Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:\n',
      response: 'Blue.</s>',
    });
    expect(alpacaFormat.renderPrompt({ instruction: 'Translate.', input: 'Bonjour' }, tokens)).toBe(
      '<s>Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nTranslate.\n\n### Input:\nBonjour\n\n### Response:\n',
    );
  });
});

describe('format errors', () => {
  it('explains a missing or unusable chat template', () => {
    expect(() => promptFormatByName('chat_template', {})).toThrow(
      /no chat_template in tokenizer_config.json/,
    );
    expect(() => promptFormatByName('chatml')).toThrow(/unknown prompt format "chatml"; use one of alpaca/);
    const reordering = chatTemplateFormat(
      '{% for m in messages|reverse %}{{ m.content }}|{% endfor %}{% if add_generation_prompt %}>{% endif %}',
    );
    expect(() =>
      reordering.render({ instruction: 'a', output: 'b' }, { bosToken: '', eosToken: '' }),
    ).toThrow(/cannot separate prompt and response/);
    expect(() => chatTemplateFormat('{% for %}')).toThrow(/chat template does not parse/);
  });
});
