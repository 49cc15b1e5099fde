import llamaTokenizer from 'llama-tokenizer-js';
import llama3Tokenizer from 'llama3-tokenizer-js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HfJsonTokenizer } from '../../../src/ml/tokenizers/index.js';
import { expectOffsetsMatchText } from './offsetsAssertion.js';
import { MIXED_TEXTS, llama2TokenizerJson, llama3TokenizerJson } from './referenceTokenizerJson.js';

const LONG_TEXT = MIXED_TEXTS.join(' | ').repeat(3);

describe('tokenizer.json byte-level BPE (Llama 3 layout) against llama3-tokenizer-js', () => {
  let tok: HfJsonTokenizer;
  beforeAll(() => {
    tok = new HfJsonTokenizer(llama3TokenizerJson(), {
      bos_token: '<|begin_of_text|>',
      eos_token: '<|eot_id|>',
    });
  });

  it('gives the same ids as the package on mixed text and on special tokens', () => {
    for (const text of [
      ...MIXED_TEXTS,
      LONG_TEXT,
      '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
    ]) {
      expect(tok.encode(text)).toEqual(llama3Tokenizer.encode(text, { bos: false, eos: false }));
    }
  });

  it('agrees with the package on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ maxLength: 10 }), (a, b) => {
        const text = `${a} ${b}\n${a}`;
        expect(tok.encode(text)).toEqual(llama3Tokenizer.encode(text, { bos: false, eos: false }));
      }),
      { numRuns: 200 },
    );
  });

  it('takes BOS/EOS from tokenizer_config and adds end-of-turn stops', () => {
    expect(tok.encode('Hello world', { addBos: true, addEos: true })).toEqual([128000, 9906, 1917, 128009]);
    expect(tok.stopIds).toEqual(expect.arrayContaining([128009, 128008]));
    expect(tok.vocabSize).toBe(128256);
  });

  it('decodes back to the text and maps tokens to character offsets', () => {
    for (const text of MIXED_TEXTS) {
      expect(tok.decode(tok.encode(text))).toBe(text);
      expectOffsetsMatchText(tok, text);
    }
    expect(tok.decode([128000, 9906, 128009], { skipSpecialTokens: true })).toBe('Hello');
  });
});

describe('tokenizer.json SentencePiece BPE with byte fallback (LLaMA 2 layout) against llama-tokenizer-js', () => {
  let legacy: HfJsonTokenizer;
  let metaspace: HfJsonTokenizer;
  beforeAll(() => {
    legacy = new HfJsonTokenizer(llama2TokenizerJson('legacy'));
    metaspace = new HfJsonTokenizer(llama2TokenizerJson('metaspace'));
  });

  // Hugging Face's Metaspace does not prepend "▁" to text that already starts with a space, unlike legacy
  // SentencePiece, so the two forms agree only on such texts.
  const startsWithoutSpace = (t: string): boolean => !t.startsWith(' ');

  it('gives the same ids as the package, in both the legacy and the Metaspace form', () => {
    for (const text of [...MIXED_TEXTS, LONG_TEXT]) {
      const expected = text === '' ? [] : llamaTokenizer.encode(text, false, true, false);
      expect(legacy.encode(text)).toEqual(expected);
      if (startsWithoutSpace(text)) expect(metaspace.encode(text)).toEqual(expected);
    }
    expect(legacy.encode('Hello world', { addBos: true })).toEqual([1, 15043, 3186]);
    expect(legacy.encode('<s>[INST] Hi [/INST]')).toEqual([
      1, 518, 25580, 29962, 6324, 518, 29914, 25580, 29962,
    ]);
  });

  it('agrees with the package on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ maxLength: 10 }), (a, b) => {
        const text = `${a} ${b}\n${a}`.replace(/<\/?s>|<unk>/g, '');
        expect(legacy.encode(text)).toEqual(llamaTokenizer.encode(text, false, true, false));
      }),
      { numRuns: 200 },
    );
  });

  it('decodes like Hugging Face and keeps offsets on the characters', () => {
    expect(legacy.decode([1, 15043, 3186, 2])).toBe('<s> Hello world</s>');
    expect(legacy.decode([1, 15043, 3186, 2], { skipSpecialTokens: true })).toBe('Hello world');
    for (const text of MIXED_TEXTS) {
      expect(legacy.decode(legacy.encode(text))).toBe(text);
      expectOffsetsMatchText(legacy, text);
      if (!startsWithoutSpace(text)) continue;
      expect(metaspace.decode(metaspace.encode(text))).toBe(text);
      expectOffsetsMatchText(metaspace, text);
    }
  });
});

describe('tokenizer.json errors', () => {
  it('names what is unsupported', () => {
    expect(
      () => new HfJsonTokenizer({ model: { type: 'WordPiece', vocab: {} } }, undefined, 'x/tokenizer.json'),
    ).toThrow(/x\/tokenizer.json: model type WordPiece is not supported/);
    expect(
      () =>
        new HfJsonTokenizer({
          pre_tokenizer: { type: 'BertPreTokenizer' },
          model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
        }),
    ).toThrow(/pre-tokenizer BertPreTokenizer is not supported/);
    expect(() => new HfJsonTokenizer({ model: { type: 'BPE', vocab: { a: 0 }, merges: ['a b'] } })).toThrow(
      /merge #0 "a b" uses a token missing/,
    );
  });

  it('uses the unknown token, fused, when there is no byte fallback', () => {
    const tok = new HfJsonTokenizer({
      model: {
        type: 'BPE',
        vocab: { '<unk>': 0, a: 1, b: 2, ab: 3 },
        merges: ['a b'],
        unk_token: '<unk>',
        fuse_unk: true,
      },
    });
    expect(tok.encode('abxyab')).toEqual([3, 0, 3]);
    expect(tok.encodeWithOffsets('abxyab').offsets).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
  });
});
