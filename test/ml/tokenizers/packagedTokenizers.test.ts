import { beforeAll, describe, expect, it } from 'vitest';
import { Llama2Tokenizer, Llama3Tokenizer, type Tokenizer } from '../../../src/ml/tokenizers/index.js';
import { expectOffsetsMatchText } from './offsetsAssertion.js';
import { MIXED_TEXTS } from './referenceTokenizerJson.js';

describe('LLaMA 2 tokenizer (llama-tokenizer-js)', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await Llama2Tokenizer.load();
  });

  it('matches published ids', () => {
    expect(tok.vocabSize).toBe(32000);
    // From issue 5 / Hugging Face meta-llama/Llama-2-7b-hf.
    expect(tok.encode('Hello world', { addBos: true })).toEqual([1, 15043, 3186]);
    // From the package's own test cases (checked there against the reference SentencePiece).
    expect(tok.encode(' grabbed', { addBos: true })).toEqual([1, 29871, 2646, 1327, 287]);
    expect(tok.encode('🦙', { addBos: true })).toEqual([1, 29871, 243, 162, 169, 156]);
    expect(tok.encode('ax\n####\nboo', { addBos: true })).toEqual([1, 4853, 13, 4136, 13, 833, 29877]);
    expect(tok.encode('I', { addBos: true, addEos: true })).toEqual([1, 306, 2]);
  });

  it('parses special tokens in text like Hugging Face legacy LlamaTokenizer', () => {
    // "[INST]" after <s> is ▁[ INST ] = 518 25580 29962 in every Llama 2 chat prompt.
    expect(tok.encode('<s>[INST] Hi [/INST]')).toEqual([
      1, 518, 25580, 29962, 6324, 518, 29914, 25580, 29962,
    ]);
    expect(tok.decode([1, 15043, 3186, 2])).toBe('<s> Hello world</s>');
    expect(tok.decode([1, 15043, 3186, 2], { skipSpecialTokens: true })).toBe('Hello world');
  });

  it('round-trips mixed Chinese, English and emoji text, with offsets on the characters', () => {
    for (const text of MIXED_TEXTS) {
      expect(tok.decode(tok.encode(text, { addBos: true }), { skipSpecialTokens: true })).toBe(text);
      expectOffsetsMatchText(tok, text);
    }
  });
});

describe('Llama 3 tokenizer (llama3-tokenizer-js)', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await Llama3Tokenizer.load();
  });

  it('matches published ids', () => {
    expect(tok.vocabSize).toBe(128256);
    expect([tok.bosId, tok.eosId, tok.padId]).toEqual([128000, 128001, 128004]);
    expect(tok.stopIds).toContain(128009);
    expect(tok.encode('Hello world', { addBos: true })).toEqual([128000, 9906, 1917]);
    // Meta's llama3 repository test: "This is a test sentence." with BOS and EOS.
    expect(tok.encode('This is a test sentence.', { addBos: true, addEos: true })).toEqual([
      128000, 2028, 374, 264, 1296, 11914, 13, 128001,
    ]);
    expect(tok.encode('<|start_header_id|>user<|end_header_id|>')).toEqual([128006, 882, 128007]);
  });

  it('round-trips mixed text with offsets; BOS/EOS get empty spans', () => {
    for (const text of MIXED_TEXTS) {
      expect(tok.decode(tok.encode(text))).toBe(text);
      expectOffsetsMatchText(tok, text);
    }
    const enc = tok.encodeWithOffsets('hi', { addBos: true, addEos: true });
    expect(enc.offsets[0]).toEqual([0, 0]);
    expect(enc.offsets[enc.offsets.length - 1]).toEqual([2, 2]);
    expect(tok.decode(enc.ids, { skipSpecialTokens: true })).toBe('hi');
  });

  it('gives a partial-byte token the span of its whole character', () => {
    // 🦙 is three byte-level tokens in Llama 3 (the package's test: 9468 99 247).
    const enc = tok.encodeWithOffsets('a🦙');
    expect(enc.ids.slice(-3)).toEqual([9468, 99, 247]);
    expect(enc.offsets.slice(-3)).toEqual([
      [1, 3],
      [1, 3],
      [1, 3],
    ]);
  });
});
