import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteTokenizer, HfJsonTokenizer, loadTokenizer } from '../../../src/ml/tokenizers/index.js';
import { MIXED_TEXTS } from './referenceTokenizerJson.js';

const utf8 = new TextEncoder();

describe('ByteTokenizer', () => {
  const tok = new ByteTokenizer({ vocabSize: 512, extraSpecialTokens: ['<|eot_id|>'] });

  it('maps each UTF-8 byte b to id b + 3 and the specials to 0, 1, 2, 259', () => {
    const text = '微调 🦙 ok';
    expect(tok.encode(text, { addBos: true, addEos: true })).toEqual([
      1,
      ...[...utf8.encode(text)].map((b) => b + 3),
      2,
    ]);
    expect(tok.encode('a<|eot_id|>')).toEqual([0x61 + 3, 259]);
    expect([tok.padId, tok.bosId, tok.eosId, tok.vocabSize]).toEqual([0, 1, 2, 512]);
    expect(tok.stopIds).toEqual([2, 259]);
    expect(tok.idToToken(3 + 0x0a)).toBe('<0x0A>');
    expect(tok.idToToken(300)).toBe('<|reserved_300|>');
    expect(tok.tokenToId('<|reserved_300|>')).toBe(300);
    expect(tok.idToToken(512)).toBeUndefined();
  });

  it('round-trips any string, and spans cover the character of each byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(tok.decode(tok.encode(text))).toBe(text);
        const { ids, offsets } = tok.encodeWithOffsets(text);
        const bytesPerChar = [...text].flatMap((ch) => Array<string>(utf8.encode(ch).length).fill(ch));
        if (!/<pad>|<s>|<\/s>|<\|eot_id\|>/.test(text)) {
          expect(ids).toHaveLength(bytesPerChar.length);
          offsets.forEach(([s, e], i) => expect(text.slice(s, e)).toBe(bytesPerChar[i]));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a vocabulary too small for the bytes', () => {
    expect(() => new ByteTokenizer({ vocabSize: 100 })).toThrow(/needs at least 259/);
  });

  describe('saved as tokenizer.json', () => {
    let dir: string;
    afterAll(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('loads back through loadTokenizer with identical ids, offsets and decoding', async () => {
      dir = await mkdtemp(join(tmpdir(), 'byte-tok-'));
      await tok.save(dir);
      const loaded = await loadTokenizer(dir);
      expect(loaded).toBeInstanceOf(HfJsonTokenizer);
      expect([loaded.bosId, loaded.eosId, loaded.padId, loaded.vocabSize]).toEqual([1, 2, 0, 512]);
      for (const text of [...MIXED_TEXTS, 'x<|eot_id|>y</s>']) {
        expect(loaded.encodeWithOffsets(text, { addBos: true })).toEqual(
          tok.encodeWithOffsets(text, { addBos: true }),
        );
        const ids = tok.encode(text);
        expect(loaded.decode(ids)).toBe(tok.decode(ids));
      }
      const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
        model: { byte_fallback: boolean };
      };
      expect(json.model.byte_fallback).toBe(true);
    });
  });
});
