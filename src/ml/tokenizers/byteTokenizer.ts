import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteTokenName } from './bpeModel.js';
import { offsetsFromByteLengths } from './byteOffsets.js';
import { escapeRegExp } from './onigurumaRegex.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './tokenizer.js';

export interface ByteTokenizerOptions {
  /** Total ids; the ids past the bytes and special tokens are unused `<|reserved_N|>` tokens. Default: no spare. */
  readonly vocabSize?: number;
  /** More special tokens after `<pad>`, `<s>`, `</s>` (e.g. chat markers); matched whole in the text. */
  readonly extraSpecialTokens?: readonly string[];
}

export const BYTE_TOKENIZER_PAD = '<pad>';
export const BYTE_TOKENIZER_BOS = '<s>';
export const BYTE_TOKENIZER_EOS = '</s>';
const BYTE_OFFSET = 3;
const utf8 = new TextEncoder();

/**
 * One token per UTF-8 byte, for small models built in tests and demos. Ids: 0 `<pad>`, 1 `<s>`, 2 `</s>`,
 * 3-258 the bytes 0x00-0xFF (named `<0x00>`...), then extra special tokens, then reserved ids up to vocabSize.
 * `toTokenizerJson()` writes the same tokenizer as a Hugging Face BPE with byte fallback and no merges, so
 * Hugging Face tokenizers (and `loadTokenizer`) read it back with identical ids.
 */
export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte' as const;
  readonly vocabSize: number;
  readonly padId = 0;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly bosToken = BYTE_TOKENIZER_BOS;
  readonly eosToken = BYTE_TOKENIZER_EOS;
  readonly stopIds: readonly number[];
  private readonly specials: string[];
  private readonly specialIds = new Map<string, number>();
  private readonly specialPattern: RegExp;

  constructor(options: ByteTokenizerOptions = {}) {
    const extra = options.extraSpecialTokens ?? [];
    this.specials = [BYTE_TOKENIZER_PAD, BYTE_TOKENIZER_BOS, BYTE_TOKENIZER_EOS, ...extra];
    const minimum = BYTE_OFFSET + 256 + extra.length;
    this.vocabSize = options.vocabSize ?? minimum;
    if (!Number.isInteger(this.vocabSize) || this.vocabSize < minimum) {
      throw new Error(
        `byte tokenizer: vocabSize ${options.vocabSize} is too small; it needs at least ${minimum} (3 special + 256 bytes + ${extra.length} extra)`,
      );
    }
    if (new Set(this.specials).size !== this.specials.length) {
      throw new Error(`byte tokenizer: extraSpecialTokens repeat a token: ${extra.join(', ')}`);
    }
    this.specials.forEach((s, i) => this.specialIds.set(s, this.specialId(i)));
    this.specialPattern = new RegExp(
      [...this.specials]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'gu',
    );
    const eot = this.specialIds.get('<|eot_id|>');
    this.stopIds = eot === undefined ? [this.eosId] : [this.eosId, eot];
  }

  private specialId(index: number): number {
    return index < BYTE_OFFSET ? index : BYTE_OFFSET + 256 + (index - BYTE_OFFSET);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.encodeWithOffsets(text, options).ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<readonly [number, number]> = [];
    if (options.addBos === true) {
      ids.push(this.bosId);
      offsets.push([0, 0]);
    }
    const plain = (start: number, end: number): void => {
      if (end <= start) return;
      const bytes = utf8.encode(text.slice(start, end));
      for (const b of bytes) ids.push(BYTE_OFFSET + b);
      const ones = new Array<number>(bytes.length).fill(1);
      for (const span of offsetsFromByteLengths(text.slice(start, end), ones, 0, start)) offsets.push(span);
    };
    let last = 0;
    for (const m of text.matchAll(this.specialPattern)) {
      plain(last, m.index);
      ids.push(this.specialIds.get(m[0]) as number);
      offsets.push([m.index, m.index + m[0].length]);
      last = m.index + m[0].length;
    }
    plain(last, text.length);
    if (options.addEos === true) {
      ids.push(this.eosId);
      offsets.push([text.length, text.length]);
    }
    return { ids, offsets };
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id >= BYTE_OFFSET && id < BYTE_OFFSET + 256) {
        bytes.push(id - BYTE_OFFSET);
        continue;
      }
      const token = this.idToToken(id);
      if (token === undefined)
        throw new Error(`byte tokenizer: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      if (options.skipSpecialTokens !== true) bytes.push(...utf8.encode(token));
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  idToToken(id: number): string | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return undefined;
    if (id < BYTE_OFFSET) return this.specials[id];
    if (id < BYTE_OFFSET + 256) return byteTokenName(id - BYTE_OFFSET);
    const extraIndex = id - BYTE_OFFSET - 256;
    if (extraIndex < this.specials.length - BYTE_OFFSET) return this.specials[BYTE_OFFSET + extraIndex];
    return `<|reserved_${id}|>`;
  }

  tokenToId(token: string): number | undefined {
    const special = this.specialIds.get(token);
    if (special !== undefined) return special;
    const byte = /^<0x([0-9A-F]{2})>$/.exec(token);
    if (byte !== null) return BYTE_OFFSET + parseInt(byte[1], 16);
    const reserved = /^<\|reserved_(\d+)\|>$/.exec(token);
    if (reserved !== null) {
      const id = Number(reserved[1]);
      if (id >= BYTE_OFFSET + 256 + this.specials.length - BYTE_OFFSET && id < this.vocabSize) return id;
    }
    return undefined;
  }

  isSpecial(id: number): boolean {
    return id >= 0 && id < this.vocabSize && (id < BYTE_OFFSET || id >= BYTE_OFFSET + 256);
  }

  /** This tokenizer as a Hugging Face `tokenizer.json` object (BPE, byte fallback, no merges). */
  toTokenizerJson(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    for (let id = 0; id < this.vocabSize; id++) vocab[this.idToToken(id) as string] = id;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.specials.map((content) => ({
        id: this.specialIds.get(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: BYTE_TOKENIZER_BOS, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: BYTE_TOKENIZER_BOS, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: BYTE_TOKENIZER_BOS, type_id: 1 } },
          { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: {
          [BYTE_TOKENIZER_BOS]: { id: BYTE_TOKENIZER_BOS, ids: [this.bosId], tokens: [BYTE_TOKENIZER_BOS] },
        },
      },
      decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  /** The matching `tokenizer_config.json` object; pass a chat template to store one. */
  toTokenizerConfig(chatTemplate?: string): Record<string, unknown> {
    return {
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: BYTE_TOKENIZER_BOS,
      eos_token: BYTE_TOKENIZER_EOS,
      pad_token: BYTE_TOKENIZER_PAD,
      add_bos_token: true,
      add_eos_token: false,
      ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
    };
  }

  /** Writes tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
  async save(dir: string, chatTemplate?: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.toTokenizerJson(), null, 2) + '\n');
    await writeFile(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify(this.toTokenizerConfig(chatTemplate), null, 2) + '\n',
    );
  }
}
