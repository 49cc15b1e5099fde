import { describe, expect, it } from 'vitest';
import {
  alpacaFormat,
  buildTrainingExample,
  llama2ChatFormat,
  llama3ChatFormat,
} from '../../../src/ml/prompts/index.js';
import { ByteTokenizer, Llama2Tokenizer, Llama3Tokenizer } from '../../../src/ml/tokenizers/index.js';

const utf8 = new TextEncoder();
const bytes = (s: string): number => utf8.encode(s).length;

describe('buildTrainingExample', () => {
  it('masks the loss to the response: Llama 3 ids from the published vocabulary', async () => {
    const tok = await Llama3Tokenizer.load();
    const record = { instruction: 'Hello world', output: 'Hello world' };
    const ex = buildTrainingExample(record, llama3ChatFormat, tok, { maxLength: 64 });
    // <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n Hello world <|eot_id|>
    // <|start_header_id|>assistant<|end_header_id|>\n\n | Hello world <|eot_id|>
    const prompt = [128000, 128006, 882, 128007, 271, 9906, 1917, 128009, 128006, 78191, 128007, 271];
    expect(ex.inputIds).toEqual([...prompt, 9906, 1917, 128009]);
    expect(ex.lossMask).toEqual([...prompt.map(() => 0), 1, 1, 1]);
    expect(ex.promptLength).toBe(prompt.length);
    expect(ex.truncated).toBe(false);
  });

  it('LLaMA 2 chat: the response starts after [/INST] and ends with </s>', async () => {
    const tok = await Llama2Tokenizer.load();
    const ex = buildTrainingExample({ instruction: 'Hi', output: 'Hello world' }, llama2ChatFormat, tok, {
      maxLength: 64,
    });
    // [INST] = ▁[ INST ], [/INST] = ▁[ / INST ], " Hello world " = ▁Hello ▁world ▁ (Meta's chat_completion).
    expect(ex.inputIds).toEqual([
      1, 518, 25580, 29962, 6324, 518, 29914, 25580, 29962, 15043, 3186, 29871, 2,
    ]);
    expect(ex.lossMask).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('byte tokenizer: one loss token per response byte plus EOS; entity mask on the bytes of each term', () => {
    const tok = new ByteTokenizer();
    const output = 'Use LoRA, not lora: 低秩适配 (LoRA).';
    const record = { instruction: '什么是 LoRA?', output };
    const prompt = alpacaFormat.renderPrompt(record, tok);
    const ex = buildTrainingExample(record, alpacaFormat, tok, {
      maxLength: 1000,
      entityTerms: ['LoRA', '低秩'],
    });
    expect(ex.inputIds).toHaveLength(bytes(prompt) - bytes('<s>') + 1 + bytes(output) + 1);
    expect(ex.lossMask.reduce((a, b) => a + b, 0)).toBe(bytes(output) + 1);
    expect(ex.inputIds[ex.inputIds.length - 1]).toBe(tok.eosId);
    // "LoRA" twice in the response (the prompt's one does not count) and "低秩" (6 bytes).
    expect(ex.entityMask.reduce((a, b) => a + b, 0)).toBe(4 + 4 + bytes('低秩'));
    const caseless = buildTrainingExample(record, alpacaFormat, tok, {
      maxLength: 1000,
      entityTerms: ['lora'],
      ignoreCase: true,
    });
    expect(caseless.entityMask.reduce((a, b) => a + b, 0)).toBe(12);
    const firstEntity = ex.entityMask.indexOf(1);
    expect(tok.decode(ex.inputIds.slice(firstEntity, firstEntity + 4))).toBe('LoRA');
  });

  it('marks Llama 3 tokens that overlap a Chinese entity term', async () => {
    const tok = await Llama3Tokenizer.load();
    const record = { instruction: '介绍一下', output: '大语言模型可以用LoRA微调。' };
    const ex = buildTrainingExample(record, llama3ChatFormat, tok, { maxLength: 256, entityTerms: ['LoRA'] });
    const marked = ex.inputIds.filter((_, i) => ex.entityMask[i] === 1);
    expect(tok.decode(marked)).toContain('LoRA');
    expect(tok.decode(marked).length).toBeLessThanOrEqual('用LoRA微'.length);
    expect(ex.entityMask.every((m, i) => m === 0 || ex.lossMask[i] === 1)).toBe(true);
  });

  it('truncates at maxLength and says so', () => {
    const tok = new ByteTokenizer();
    const record = { instruction: 'x', output: 'y'.repeat(50) };
    const full = buildTrainingExample(record, alpacaFormat, tok, { maxLength: 10_000 });
    const cut = buildTrainingExample(record, alpacaFormat, tok, { maxLength: full.inputIds.length - 5 });
    expect(cut.truncated).toBe(true);
    expect(cut.inputIds).toEqual(full.inputIds.slice(0, full.inputIds.length - 5));
    expect(cut.lossMask).toEqual(full.lossMask.slice(0, full.inputIds.length - 5));
    expect(() => buildTrainingExample(record, alpacaFormat, tok, { maxLength: 0 })).toThrow(/maxLength/);
  });
});

describe('training and generation see the same prompt tokens', () => {
  const records = [
    { instruction: 'Summarise.', input: 'LoRA freezes the base model.', output: 'It trains small adapters.' },
    {
      instruction: '你好',
      output: '你好！有什么可以帮你？🦙',
      system: 'Be kind.',
      history: [['hi', 'hello']] as [string, string][],
    },
  ];

  it('encode(renderPrompt(record)) is the prompt part of the training example, for every matching pair', async () => {
    const llama2 = await Llama2Tokenizer.load();
    const llama3 = await Llama3Tokenizer.load();
    const byte = new ByteTokenizer();
    const pairs = [
      [alpacaFormat, byte],
      [alpacaFormat, llama2],
      [alpacaFormat, llama3],
      [llama2ChatFormat, llama2],
      [llama3ChatFormat, llama3],
    ] as const;
    for (const [format, tok] of pairs) {
      for (const record of records) {
        const ex = buildTrainingExample(record, format, tok, { maxLength: 4096 });
        const prompt = tok.encode(format.renderPrompt(record, tok));
        expect(ex.inputIds.slice(0, ex.promptLength), `${format.name} / ${tok.kind}`).toEqual(prompt);
        expect(ex.lossMask.slice(ex.promptLength).every((m) => m === 1)).toBe(true);
      }
    }
  });
});
